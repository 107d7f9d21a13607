// Redis scenarios 1-5. Every contender runs in short interleaved rounds (order rotated each round)
// so machine noise hits all alike; every figure in the tables is per contender, and ratios are
// taken against the raw node-redis floor measured in the same rounds.
import {
  createMemoryBackend,
  createRedisBackend,
  createSyncGuardLock,
  EQUAL,
} from "../lib/contenders.mjs";
import { commandDelta, countRequests } from "../lib/redis-tools.mjs";
import { errorMessage, now, percentiles, rotate, sleep, upperBound } from "../lib/util.mjs";

const noop = () => undefined;

async function connectAll(contenders, url, perContender = 1) {
  const ctxs = new Map();
  for (const c of contenders) {
    const list = [];
    for (let i = 0; i < perContender; i++) list.push(await c.connect(url));
    ctxs.set(c.name, list);
  }
  return ctxs;
}

async function closeAll(contenders, ctxs) {
  for (const c of contenders) {
    for (const ctx of ctxs.get(c.name) ?? []) await c.close(ctx).catch(() => {});
  }
}

function cpuMicros(start) {
  const d = process.cpuUsage(start);
  return d.user + d.system;
}

// ---------------------------------------------------------------------------------------------
// 1. Uncontended acquire + release on fresh keys, one worker, sequential.

export async function uncontended({ url, admin, contenders, durationS, rounds, countOps, log }) {
  const ctxs = await connectAll(contenders, url);
  const acc = new Map();
  let seq = 0;
  const key = (c) => `s1:${c.name}:${seq++}`;
  for (const c of contenders) {
    const ctx = ctxs.get(c.name)[0];
    for (let i = 0; i < 200; i++) await c.withLock(ctx, key(c), noop, "defaults"); // warm-up
    acc.set(c.name, { ops: 0, ms: 0, cpu: 0, serverCpu: 0, serverCmds: 0, lat: [] });
  }
  const roundMs = (durationS * 1000) / rounds;
  for (let r = 0; r < rounds; r++) {
    for (const c of rotate(contenders, r)) {
      const ctx = ctxs.get(c.name)[0];
      const a = acc.get(c.name);
      const before = await admin.commandStats();
      const serverCpu0 = await admin.serverCpuMicros();
      const cpu0 = process.cpuUsage();
      const t0 = now();
      let t = t0;
      while (t - t0 < roundMs) {
        await c.withLock(ctx, key(c), noop, "defaults");
        const t2 = now();
        a.lat.push(t2 - t);
        a.ops++;
        t = t2;
      }
      a.ms += t - t0;
      a.cpu += cpuMicros(cpu0);
      a.serverCpu += (await admin.serverCpuMicros()) - serverCpu0;
      a.serverCmds += commandDelta(before, await admin.commandStats()).total;
    }
    log(`  round ${r + 1}/${rounds}`);
  }
  // Round trips: a separate short pass with the request counter on, so timed rounds carry no
  // instrumentation at all.
  const roundTrips = new Map();
  for (const c of contenders) {
    const ctx = ctxs.get(c.name)[0];
    const stop = countRequests();
    for (let i = 0; i < countOps; i++) await c.withLock(ctx, key(c), noop, "defaults");
    roundTrips.set(c.name, stop() / countOps);
  }
  await closeAll(contenders, ctxs);
  // Every SyncGuard lock of this scenario was on a distinct key, and all were released: what is
  // left under its prefix must not grow with their number (issue 15: fence counters per route).
  const sgNames = contenders.filter((c) => c.name.startsWith("syncguard")).map((c) => c.name);
  const distinctKeys = sgNames.reduce((n, name) => n + acc.get(name).ops + 200 + countOps, 0);
  const keysLeft = sgNames.length ? await admin.countKeys("sg:*") : undefined;
  const floor = acc.get("raw");
  const floorRate = floor ? floor.ops / (floor.ms / 1000) : Number.NaN;
  return contenders.map((c) => {
    const a = acc.get(c.name);
    const opsPerS = a.ops / (a.ms / 1000);
    return {
      ...(c.name === "syncguard" ? { keysLeft, distinctKeys } : {}),
      name: c.name,
      label: c.label,
      ops: a.ops,
      opsPerS,
      vsFloor: opsPerS / floorRate,
      ...percentiles(a.lat, [50, 99]),
      roundTripsPerOp: roundTrips.get(c.name),
      serverCmdsPerOp: a.serverCmds / a.ops,
      cpuUsPerOp: a.cpu / a.ops,
      serverCpuUsPerOp: a.serverCpu / a.ops,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// 2. One hot key, N workers in one process, each with its own connection(s), each looping
//    lock -> ~1 ms critical section -> release.

export const STALL_MS = 2000;

function analyzeHotKey(entries, tEnd, workers) {
  const acquired = entries.filter((e) => e.ok).sort((a, b) => a.acq - b.acq);
  const inWindow = acquired.filter((e) => e.acq <= tEnd);
  const perWorker = new Array(workers).fill(0);
  for (const e of inWindow) perWorker[e.worker]++;
  // Handoff gap to a different waiter: from a release to the next acquisition by ANY other
  // worker (however many times the releaser took the key back in between). This is how long the
  // others waited once the holder was done; a direct handoff is just the best case of it.
  const nextOther = new Array(acquired.length).fill(-1);
  for (let i = acquired.length - 2; i >= 0; i--) {
    nextOther[i] = acquired[i + 1].worker !== acquired[i].worker ? i + 1 : nextOther[i + 1];
  }
  const gapsOther = [];
  const directGaps = [];
  let takeBacks = 0;
  let transitions = 0;
  let overlaps = 0;
  let maxFreeGap = 0;
  for (let i = 0; i < acquired.length; i++) {
    const e = acquired[i];
    if (e.rel <= tEnd && nextOther[i] >= 0) gapsOther.push(acquired[nextOther[i]].acq - e.rel);
    if (i === 0) continue;
    const prev = acquired[i - 1];
    if (e.acq < prev.rel) overlaps++; // two holders at once: a safety violation
    if (e.acq > tEnd) continue; // drain: holders no longer re-acquire
    transitions++;
    const gap = e.acq - prev.rel;
    if (gap > maxFreeGap) maxFreeGap = gap;
    if (e.worker === prev.worker) takeBacks++;
    else directGaps.push(gap);
  }
  // A stalled wait: still pending more than STALL_MS after a release that happened during it.
  const releases = acquired.map((e) => e.rel).sort((a, b) => a - b);
  let stalled = 0;
  let longestAfterRelease = 0;
  for (const e of entries) {
    const waitEnd = e.ok ? e.acq : e.end;
    const i = upperBound(releases, e.start);
    if (i < releases.length && releases[i] < waitEnd) {
      const pending = waitEnd - releases[i];
      if (pending > longestAfterRelease) longestAfterRelease = pending;
      if (pending > STALL_MS) stalled++;
    }
  }
  return {
    acquisitions: inWindow.length,
    acquisitionsAll: acquired.length,
    failures: entries.filter((e) => !e.ok).length,
    waits: entries.length,
    perWorker,
    gapsOther,
    directGaps,
    takeBacks,
    transitions,
    overlaps,
    maxFreeGap,
    stalled,
    longestAfterRelease,
  };
}

async function hotKeyRound(c, ctxList, key, mode, roundMs, csMs) {
  const entries = [];
  const errors = new Map();
  const t0 = now();
  const tEnd = t0 + roundMs;
  const worker = async (w, ctx) => {
    while (now() < tEnd) {
      const e = { worker: w, start: now(), ok: false, acq: 0, rel: 0, end: 0 };
      try {
        await c.withLock(
          ctx,
          key,
          async () => {
            e.acq = now();
            e.ok = true;
            await sleep(csMs);
            e.rel = now();
          },
          mode,
        );
      } catch (error) {
        const msg = errorMessage(error);
        errors.set(msg, (errors.get(msg) ?? 0) + 1);
        if (e.ok && !e.rel) e.rel = now();
      }
      e.end = now();
      entries.push(e);
      if (!e.ok) await sleep(0); // a failed wait loops straight back, like a job runner would
    }
  };
  const stop = countRequests();
  const done = Promise.all(ctxList.map((ctx, w) => worker(w, ctx)));
  let hung = false;
  await Promise.race([
    done,
    sleep(roundMs + 30_000).then(() => {
      hung = true;
    }),
  ]);
  const requests = stop();
  return { entries, errors, tEnd, t0, requests, hung };
}

export async function hotKey({
  url,
  admin,
  contenders,
  durationS,
  workers,
  csMs,
  mode,
  roundS = 3,
  log,
}) {
  const ctxs = await connectAll(contenders, url, workers);
  const rounds = Math.max(1, Math.round(durationS / roundS));
  const roundMs = (durationS * 1000) / rounds;
  const acc = new Map();
  for (const c of contenders) {
    acc.set(c.name, {
      ms: 0,
      acquisitions: 0,
      acquisitionsAll: 0,
      failures: 0,
      waits: 0,
      perWorker: new Array(workers).fill(0),
      gapsOther: [],
      directGaps: [],
      takeBacks: 0,
      transitions: 0,
      overlaps: 0,
      maxFreeGap: 0,
      stalled: 0,
      longestAfterRelease: 0,
      requests: 0,
      serverCmds: 0,
      errors: new Map(),
      hung: 0,
    });
  }
  for (let r = 0; r < rounds; r++) {
    for (const c of rotate(contenders, r)) {
      const a = acc.get(c.name);
      const key = `s2:${mode}:${c.name}`;
      const before = await admin.commandStats();
      const res = await hotKeyRound(c, ctxs.get(c.name), key, mode, roundMs, csMs);
      a.serverCmds += commandDelta(before, await admin.commandStats()).total;
      const s = analyzeHotKey(res.entries, res.tEnd, workers);
      a.ms += roundMs;
      a.requests += res.requests;
      a.hung += res.hung ? 1 : 0;
      for (const k of [
        "acquisitions",
        "acquisitionsAll",
        "failures",
        "waits",
        "takeBacks",
        "transitions",
        "overlaps",
        "stalled",
      ])
        a[k] += s[k];
      a.maxFreeGap = Math.max(a.maxFreeGap, s.maxFreeGap);
      a.longestAfterRelease = Math.max(a.longestAfterRelease, s.longestAfterRelease);
      for (let w = 0; w < workers; w++) a.perWorker[w] += s.perWorker[w];
      for (const g of s.gapsOther) a.gapsOther.push(g);
      for (const g of s.directGaps) a.directGaps.push(g);
      for (const [m, n] of res.errors) a.errors.set(m, (a.errors.get(m) ?? 0) + n);
      await sleep(50); // let stragglers' timers and subscriber teardown settle between rounds
    }
    log(`  round ${r + 1}/${rounds}`);
  }
  await closeAll(contenders, ctxs);
  return contenders.map((c) => {
    const a = acc.get(c.name);
    const min = Math.min(...a.perWorker);
    const max = Math.max(...a.perWorker);
    const gaps = percentiles(a.gapsOther, [50, 99]);
    const direct = percentiles(a.directGaps, [50, 99]);
    return {
      name: c.name,
      label: c.label,
      mode,
      acquisitions: a.acquisitions,
      acqPerS: a.acquisitions / (a.ms / 1000),
      gapP50: gaps.p50,
      gapP99: gaps.p99,
      directGapP50: direct.p50,
      directGapP99: direct.p99,
      directHandoffs: a.directGaps.length,
      takeBackShare: a.transitions ? a.takeBacks / a.transitions : Number.NaN,
      minMaxShare: max > 0 ? min / max : Number.NaN,
      perWorker: a.perWorker,
      stalled: a.stalled,
      longestPendingAfterReleaseMs: a.longestAfterRelease,
      maxFreeGapMs: a.maxFreeGap,
      failures: a.failures,
      waits: a.waits,
      overlaps: a.overlaps,
      requestsPerAcq: a.requests / Math.max(1, a.acquisitionsAll),
      serverCmdsPerAcq: a.serverCmds / Math.max(1, a.acquisitionsAll),
      errors: Object.fromEntries(a.errors),
      hungRounds: a.hung,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// 3. N workers over a pool of keys, random key per op, each library's defaults.

export async function keyPool({
  url,
  admin,
  contenders,
  durationS,
  rounds,
  workers,
  keys,
  countS,
  log,
}) {
  const ctxs = await connectAll(contenders, url, workers);
  const acc = new Map();
  for (const c of contenders) {
    acc.set(c.name, { ms: 0, ops: 0, failures: 0, lat: [], serverCmds: 0, errors: new Map() });
  }
  const run = async (c, roundMs, a) => {
    const t0 = now();
    const tEnd = t0 + roundMs;
    const worker = async (ctx) => {
      while (now() < tEnd) {
        const k = `s3:${c.name}:${Math.floor(Math.random() * keys)}`;
        const s = now();
        try {
          await c.withLock(ctx, k, noop, "defaults");
          if (a) {
            a.lat.push(now() - s);
            a.ops++;
          }
        } catch (error) {
          if (a) {
            a.failures++;
            const msg = errorMessage(error);
            a.errors.set(msg, (a.errors.get(msg) ?? 0) + 1);
          }
        }
      }
    };
    await Promise.all(ctxs.get(c.name).map(worker));
    return now() - t0;
  };
  const roundMs = (durationS * 1000) / rounds;
  for (let r = 0; r < rounds; r++) {
    for (const c of rotate(contenders, r)) {
      const a = acc.get(c.name);
      const before = await admin.commandStats();
      a.ms += await run(c, roundMs, a);
      a.serverCmds += commandDelta(before, await admin.commandStats()).total;
    }
    log(`  round ${r + 1}/${rounds}`);
  }
  const requests = new Map();
  for (const c of contenders) {
    const a = { ops: 0, lat: [], failures: 0, errors: new Map() };
    const stop = countRequests();
    await run(c, countS * 1000, a);
    requests.set(c.name, stop() / Math.max(1, a.ops));
  }
  await closeAll(contenders, ctxs);
  const floor = acc.get("raw");
  const floorRate = floor ? floor.ops / (floor.ms / 1000) : Number.NaN;
  return contenders.map((c) => {
    const a = acc.get(c.name);
    const opsPerS = a.ops / (a.ms / 1000);
    return {
      name: c.name,
      label: c.label,
      ops: a.ops,
      opsPerS,
      vsFloor: opsPerS / floorRate,
      ...percentiles(a.lat, [50, 99]),
      failures: a.failures,
      requestsPerOp: requests.get(c.name),
      serverCmdsPerOp: a.serverCmds / Math.max(1, a.ops),
      errors: Object.fromEntries(a.errors),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// 4. lock(fn) wrapper overhead over the raw backend calls it wraps (acquire + release).

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
// 5. Connections SyncGuard uses with many waiters on one client.

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

export { EQUAL };
