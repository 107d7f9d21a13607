// The Redis contenders, each behind one interface:
//   connect(url) -> ctx          one worker's connection(s); close(ctx) ends them
//   withLock(ctx, key, fn, mode) acquire, run fn while held, release. Resolves fn's value;
//                                rejects (with the library's own error) when acquisition gives up.
// mode: "defaults"  the library's documented defaults (what users really get), TTL 30 s where the
//                   library has no default;
//       "equal"     the same retry policy for all: fixed 50 ms delay, no jitter, give up after
//                   5 s (100 retries), TTL 10 s.
// Each library is driven through its documented API (README + installed sources).
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { sleep } from "./util.mjs";

const require = createRequire(import.meta.url);
const { createClient } = require("redis");
const IORedis = require("ioredis");
const { createLock: createSyncGuardLock, createMemoryBackend } = loadCore();
const { createRedisBackend } = require("@syncguard/redis");
const ru = require("redlock-universal");
const RedlockV5 = require("redlock").default;
const { Redlock: SesameRedlock } = require("@sesamecare-oss/redlock");
const { Mutex } = require("redis-semaphore");

function loadCore() {
  const core = require("@syncguard/core");
  const memory = require("@syncguard/core/memory");
  return { ...core, createMemoryBackend: memory.createMemoryBackend };
}

export const EQUAL = Object.freeze({ ttlMs: 10_000, delayMs: 50, timeoutMs: 5_000, retries: 100 });
export const DEFAULT_TTL_MS = 30_000;

async function nodeRedis(url) {
  const client = createClient({ url });
  client.on("error", () => {});
  await client.connect();
  return client;
}

async function ioredis(url) {
  const u = new URL(url);
  const client = new IORedis({
    host: u.hostname,
    port: Number(u.port),
    lazyConnect: true,
    maxRetriesPerRequest: 1,
  });
  client.on("error", () => {});
  await client.connect();
  return client;
}

const closeNodeRedis = async (client) => {
  try {
    await (client.close ? client.close() : client.quit());
  } catch {
    client.destroy?.();
  }
};
const closeIORedis = async (client) => {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
};

// Compare-and-delete, the canonical safe release (one round trip with EVALSHA).
const RELEASE_LUA =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

class NotAcquired extends Error {}

/** SyncGuard's lock() at its defaults, or with the shared "equal" retry policy. */
function syncGuardWithLock(ctx, key, fn, mode) {
  const options =
    mode === "equal"
      ? {
          key,
          ttlMs: EQUAL.ttlMs,
          timeoutMs: EQUAL.timeoutMs,
          maxRetries: EQUAL.retries,
          retryDelayMs: EQUAL.delayMs,
          maxRetryDelayMs: EQUAL.delayMs,
          jitter: "none",
        }
      : { key };
  return ctx.lock(() => fn(), options);
}

/** Bounded map: per-key lock objects are reused on hot keys, but fresh keys never pile up. */
function cached(ctx, key, make) {
  let value = ctx.cache.get(key);
  if (value === undefined) {
    if (ctx.cache.size >= 1000) ctx.cache.clear();
    value = make();
    ctx.cache.set(key, value);
  }
  return value;
}

export const contenders = [
  {
    name: "raw",
    label: "raw node-redis (floor)",
    client: "node-redis",
    note: "SET NX PX + compare-and-delete via EVALSHA; polls every 50 ms when contended",
    async connect(url) {
      const client = await nodeRedis(url);
      const sha = await client.scriptLoad(RELEASE_LUA);
      return { client, sha };
    },
    close: (ctx) => closeNodeRedis(ctx.client),
    async withLock(ctx, key, fn, mode) {
      const token = randomUUID();
      const ttl = mode === "equal" ? EQUAL.ttlMs : DEFAULT_TTL_MS;
      const deadline = Date.now() + EQUAL.timeoutMs;
      for (let attempt = 0; ; attempt++) {
        if ((await ctx.client.set(key, token, { NX: true, PX: ttl })) === "OK") break;
        if (attempt >= EQUAL.retries || Date.now() >= deadline) {
          throw new NotAcquired(`raw: ${key} still locked after ${attempt + 1} attempts`);
        }
        await sleep(EQUAL.delayMs);
      }
      try {
        return await fn();
      } finally {
        await ctx.client.evalSha(ctx.sha, { keys: [key], arguments: [token] });
      }
    },
  },
  {
    name: "syncguard",
    label: "SyncGuard lock()",
    client: "node-redis",
    note: "@syncguard/redis createLock: lock(fn, { key })",
    async connect(url) {
      const client = await nodeRedis(url);
      const backend = createRedisBackend(client, { keyPrefix: "sg" });
      return { client, backend, lock: createSyncGuardLock(backend) };
    },
    async close(ctx) {
      await ctx.backend.close();
      await closeNodeRedis(ctx.client);
    },
    withLock: (ctx, key, fn, mode) => syncGuardWithLock(ctx, key, fn, mode),
  },
  {
    name: "syncguard-ioredis",
    label: "SyncGuard lock() on ioredis",
    client: "ioredis",
    note: "@syncguard/redis createLock on an ioredis client: lock(fn, { key })",
    async connect(url) {
      const client = await ioredis(url);
      const backend = createRedisBackend(client, { keyPrefix: "sg" });
      return { client, backend, lock: createSyncGuardLock(backend) };
    },
    async close(ctx) {
      await ctx.backend.close();
      await closeIORedis(ctx.client);
    },
    withLock: (ctx, key, fn, mode) => syncGuardWithLock(ctx, key, fn, mode),
  },
  {
    name: "redlock-universal",
    label: "redlock-universal 0.8.5",
    client: "node-redis",
    note: "createLock({ adapter: new NodeRedisAdapter(client), key }) then acquire()/release(handle); one lock object per key",
    async connect(url) {
      const client = await nodeRedis(url);
      return { client, adapter: new ru.NodeRedisAdapter(client), cache: new Map() };
    },
    close: (ctx) => closeNodeRedis(ctx.client),
    async withLock(ctx, key, fn, mode) {
      const lock = cached(ctx, `${mode}:${key}`, () =>
        ru.createLock({
          adapter: ctx.adapter,
          key,
          ...(mode === "equal"
            ? { ttl: EQUAL.ttlMs, retryAttempts: EQUAL.retries, retryDelay: EQUAL.delayMs }
            : {}),
        }),
      );
      const handle = await lock.acquire();
      try {
        return await fn();
      } finally {
        await lock.release(handle);
      }
    },
  },
  {
    name: "redlock",
    label: "redlock 5.0.0-beta.2",
    client: "ioredis",
    note: "new Redlock([ioredis]).acquire([key], ttl) then lock.release()",
    async connect(url) {
      const client = await ioredis(url);
      return {
        client,
        defaults: new RedlockV5([client]),
        equal: new RedlockV5([client], {
          retryCount: EQUAL.retries,
          retryDelay: EQUAL.delayMs,
          retryJitter: 0,
        }),
      };
    },
    close: (ctx) => closeIORedis(ctx.client),
    async withLock(ctx, key, fn, mode) {
      const redlock = mode === "equal" ? ctx.equal : ctx.defaults;
      const lock = await redlock.acquire([key], mode === "equal" ? EQUAL.ttlMs : DEFAULT_TTL_MS);
      try {
        return await fn();
      } finally {
        await lock.release();
      }
    },
  },
  {
    name: "sesame-redlock",
    label: "@sesamecare-oss/redlock 1.4.0",
    client: "ioredis",
    note: "new Redlock([ioredis]).acquire([key], ttl) then lock.release()",
    async connect(url) {
      const client = await ioredis(url);
      return {
        client,
        defaults: new SesameRedlock([client]),
        equal: new SesameRedlock([client], {
          retryCount: EQUAL.retries,
          retryDelay: EQUAL.delayMs,
          retryJitter: 0,
        }),
      };
    },
    close: (ctx) => closeIORedis(ctx.client),
    async withLock(ctx, key, fn, mode) {
      const redlock = mode === "equal" ? ctx.equal : ctx.defaults;
      const lock = await redlock.acquire([key], mode === "equal" ? EQUAL.ttlMs : DEFAULT_TTL_MS);
      try {
        return await fn();
      } finally {
        await lock.release();
      }
    },
  },
  {
    name: "redis-semaphore",
    label: "redis-semaphore 5.8.0 Mutex",
    client: "ioredis",
    note: "new Mutex(ioredis, key, options).acquire() then release()",
    async connect(url) {
      return { client: await ioredis(url) };
    },
    close: (ctx) => closeIORedis(ctx.client),
    async withLock(ctx, key, fn, mode) {
      const mutex = new Mutex(
        ctx.client,
        key,
        mode === "equal"
          ? {
              lockTimeout: EQUAL.ttlMs,
              acquireTimeout: EQUAL.timeoutMs,
              retryInterval: EQUAL.delayMs,
            }
          : {},
      );
      await mutex.acquire();
      try {
        return await fn();
      } finally {
        await mutex.release();
      }
    },
  },
];

/** The same floor on ioredis, to show what the client library itself costs. */
export const rawIORedis = {
  name: "raw-ioredis",
  label: "raw ioredis (reference)",
  client: "ioredis",
  note: "the raw floor's two commands sent through ioredis instead of node-redis",
  async connect(url) {
    const client = await ioredis(url);
    const sha = await client.script("LOAD", RELEASE_LUA);
    return { client, sha };
  },
  close: (ctx) => closeIORedis(ctx.client),
  async withLock(ctx, key, fn) {
    const token = randomUUID();
    if ((await ctx.client.set(key, token, "PX", DEFAULT_TTL_MS, "NX")) !== "OK") {
      throw new NotAcquired(`${key} is locked`);
    }
    try {
      return await fn();
    } finally {
      await ctx.client.evalsha(ctx.sha, 1, key, token);
    }
  },
};

/** SyncGuard's backend calls without the lock() wrapper: one acquire, one release. */
export const syncguardBackendCalls = {
  name: "syncguard-backend",
  label: "SyncGuard backend.acquire + release",
  client: "node-redis",
  note: "the two contract calls lock() wraps, no retry engine, no lease",
  connect: contenders[1].connect,
  close: contenders[1].close,
  async withLock(ctx, key, fn) {
    const result = await ctx.backend.acquire({ key, ttlMs: DEFAULT_TTL_MS });
    if (!result.ok) throw new NotAcquired(`${key} is locked`);
    try {
      return await fn();
    } finally {
      await ctx.backend.release({ lockId: result.lockId });
    }
  },
};

export { createMemoryBackend, createRedisBackend, createSyncGuardLock };

export function byName(names) {
  const all = [...contenders, syncguardBackendCalls];
  return names.map((n) => all.find((c) => c.name === n)).filter(Boolean);
}
