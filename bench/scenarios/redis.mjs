// In-process Redis scenarios: the lock(fn) wrapper's cost over the backend calls it wraps, and the
// connections one client uses with many waiters. The ratio scenarios (s1-s3) run each contender in
// its own process: floor/floor.mjs.
import {
  createMemoryBackend,
  createRedisBackend,
  createSyncGuardLock,
} from "../lib/contenders.mjs";
import { countRequests } from "../lib/redis-tools.mjs";
import { now, rotate, sleep } from "../lib/util.mjs";

const noop = () => undefined;

function cpuMicros(start) {
  const d = process.cpuUsage(start);
  return d.user + d.system;
}

// ---------------------------------------------------------------------------------------------
// lock(fn) wrapper overhead over the raw backend calls it wraps (acquire + release).

export async function wrapperOverhead({ url, durationS, rounds, log }) {
  const out = [];
  const { createClient } = await import("redis");
  const client = createClient({ url });
  client.on("error", () => {});
  await client.connect();
  const setups = [
    { name: "memory", backend: createMemoryBackend() },
    { name: "redis", backend: createRedisBackend(client, { keyPrefix: "s4" }) },
  ];
  for (const { name, backend } of setups) {
    const lock = createSyncGuardLock(backend);
    const KEYS = 100;
    let i = 0;
    const arms = {
      raw: async () => {
        const r = await backend.acquire({ key: `k${i++ % KEYS}`, ttlMs: 30_000 });
        if (!r.ok) throw new Error("unexpected contention");
        await backend.release({ lockId: r.lockId });
      },
      wrapper: () => lock(noop, { key: `k${i++ % KEYS}` }),
    };
    const acc = { raw: { ops: 0, ms: 0, cpu: 0 }, wrapper: { ops: 0, ms: 0, cpu: 0 } };
    for (const arm of Object.values(arms)) for (let w = 0; w < 2000; w++) await arm();
    const roundMs = (durationS * 1000) / rounds;
    for (let r = 0; r < rounds; r++) {
      for (const armName of rotate(["raw", "wrapper"], r)) {
        const fn = arms[armName];
        const a = acc[armName];
        const cpu0 = process.cpuUsage();
        const t0 = now();
        let ops = 0;
        // batches of 16 keep the clock reads out of the per-op cost on the memory backend
        while (now() - t0 < roundMs) for (let b = 0; b < 16; b++, ops++) await fn();
        a.ms += now() - t0;
        a.cpu += cpuMicros(cpu0);
        a.ops += ops;
      }
    }
    const rawUs = (acc.raw.ms * 1000) / acc.raw.ops;
    const wrapUs = (acc.wrapper.ms * 1000) / acc.wrapper.ops;
    out.push({
      backend: name,
      rawUsPerOp: rawUs,
      wrapperUsPerOp: wrapUs,
      ratio: wrapUs / rawUs,
      overheadPct: (wrapUs / rawUs - 1) * 100,
      addedUsPerOp: wrapUs - rawUs,
      rawCpuUsPerOp: acc.raw.cpu / acc.raw.ops,
      wrapperCpuUsPerOp: acc.wrapper.cpu / acc.wrapper.ops,
    });
    if (backend.close) await backend.close();
    log(`  ${name} done`);
  }
  await (client.close ? client.close() : client.quit());
  return out;
}

// ---------------------------------------------------------------------------------------------
// Connections SyncGuard uses with many waiters on one client.

export async function connections({ url, admin, waiterCounts, log }) {
  const { createClient } = await import("redis");
  const out = [];
  for (const n of waiterCounts) {
    const base = await admin.clientCount();
    const client = createClient({ url });
    client.on("error", () => {});
    await client.connect();
    const backend = createRedisBackend(client, { keyPrefix: "s5" });
    const lock = createSyncGuardLock(backend);
    const key = `s5:${n}`;
    const holder = await backend.acquire({ key, ttlMs: 30_000 });
    const afterConnect = (await admin.clientCount()) - base;
    let done = 0;
    let failed = 0;
    const waiters = Array.from({ length: n }, () =>
      lock(() => sleep(1), { key, timeoutMs: 60_000, maxRetries: 10_000 }).then(
        () => done++,
        () => failed++,
      ),
    );
    await sleep(300 + n * 2); // let every waiter make its first attempt and subscribe
    const whileWaiting = (await admin.clientCount()) - base;
    const stop = countRequests();
    const t0 = now();
    await backend.release({ lockId: holder.lockId });
    await Promise.race([Promise.all(waiters), sleep(60_000)]);
    const drainMs = now() - t0;
    const requests = stop();
    const afterDrain = (await admin.clientCount()) - base;
    await backend.close();
    await (client.close ? client.close() : client.quit());
    out.push({
      waiters: n,
      connectionsIdle: afterConnect,
      connectionsWhileWaiting: whileWaiting,
      connectionsAfterDrain: afterDrain,
      acquired: done,
      failed,
      drainMs,
      requestsPerAcq: requests / Math.max(1, done),
    });
    log(`  ${n} waiters done`);
  }
  return out;
}
