// Heap and RSS after many acquire/release cycles through lock(fn): memory backend and Redis.
// GC is forced (gc() exposed at startup) before each reading; growth is measured after a warm-up,
// so one-off costs (JIT, connection buffers, script cache) do not count as a leak.
import {
  createMemoryBackend,
  createRedisBackend,
  createSyncGuardLock,
} from "../lib/contenders.mjs";
import { now } from "../lib/util.mjs";

const noop = () => undefined;

async function settledHeap() {
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss };
}

async function measure(name, lock, cycles, warmup, keys) {
  for (let i = 0; i < warmup; i++) await lock(noop, { key: `m${i % keys}` });
  const before = await settledHeap();
  const t0 = now();
  for (let i = 0; i < cycles; i++) await lock(noop, { key: `m${i % keys}` });
  const ms = now() - t0;
  const after = await settledHeap();
  const growth = after.heapUsed - before.heapUsed;
  return {
    backend: name,
    cycles,
    keys,
    seconds: ms / 1000,
    heapBeforeMB: before.heapUsed / 2 ** 20,
    heapAfterMB: after.heapUsed / 2 ** 20,
    rssBeforeMB: before.rss / 2 ** 20,
    rssAfterMB: after.rss / 2 ** 20,
    heapGrowthBytes: growth,
    bytesPerCycle: growth / cycles,
    pass: growth / cycles < 1,
  };
}

export async function memory({ url, memoryCycles, redisCycles, log }) {
  if (typeof globalThis.gc !== "function") throw new Error("gc() is not exposed");
  const out = [];
  const keys = 100;
  out.push(
    await measure(
      "memory",
      createSyncGuardLock(createMemoryBackend()),
      memoryCycles,
      Math.round(memoryCycles / 10),
      keys,
    ),
  );
  log("  memory backend done");
  const { createClient } = await import("redis");
  const client = createClient({ url });
  client.on("error", () => {});
  await client.connect();
  const backend = createRedisBackend(client, { keyPrefix: "mem" });
  out.push(
    await measure(
      "redis",
      createSyncGuardLock(backend),
      redisCycles,
      Math.round(redisCycles / 5),
      keys,
    ),
  );
  await backend.close();
  await (client.close ? client.close() : client.quit());
  log("  redis backend done");
  return out;
}
