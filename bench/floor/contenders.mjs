// The contenders of the process-per-contender Redis bench (floor.mjs), one process each. The same
// definitions as ../shared/anchor-bench, the measure issue 27 judges SyncGuard by: the unfenced
// floor (SET NX PX + compare-and-delete), the fenced floor (one script: SET NX PX + INCR of a
// shared counter, then compare-and-delete), the peers users pick instead, and SyncGuard three
// ways. Every contender runs each library at its own retry defaults ("defaults" in anchor-bench).
//
//   create({ host, port, ttlMs, retryDelayMs, counter }) -> { acquire(key), release(handle), close() }
// acquire waits with the library's own retry and resolves a handle once the lock is held.
// counter.rt counts requests sent to Redis (round trips).
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { setTimeout as sleep } from "node:timers/promises";

const require = createRequire(import.meta.url);

const COMPARE_AND_DELETE =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
const FENCED_ACQUIRE =
  "if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return redis.call('INCR', KEYS[2]) end return 0";
/** SyncGuard waits as long as any waiter of the bench may: a waiter never gives up. */
const SYNCGUARD_WAIT = { timeoutMs: 600_000, maxRetries: 1_000_000 };

/** Counts every request an ioredis client sends. */
function countIoredis(client, counter) {
  const send = client.sendCommand.bind(client);
  client.sendCommand = (command, stream) => {
    counter.rt++;
    return send(command, stream);
  };
  return client;
}

/** Counts every request a node-redis client sends (commands reach the real client's sendCommand). */
function countNodeRedis(client, counter) {
  const self = client._self ?? client;
  const send = self.sendCommand.bind(self);
  self.sendCommand = (args, options) => {
    counter.rt++;
    return send(args, options);
  };
  return client;
}

async function nodeRedis(host, port, counter) {
  const { createClient } = require("redis");
  const client = createClient({ socket: { host, port } });
  client.on("error", () => {});
  await client.connect();
  return countNodeRedis(client, counter);
}

async function ioredis(host, port, counter) {
  const Redis = require("ioredis");
  const client = new Redis({ host, port, lazyConnect: true });
  client.on("error", () => {});
  await client.connect();
  return countIoredis(client, counter);
}

/** lock(fn): acquire resolves once fn runs; release lets fn return and waits for lock() to end. */
function lockContender(lock, ttlMs) {
  const options = { ttlMs, ...SYNCGUARD_WAIT };
  return {
    acquire: (key) =>
      new Promise((acquired, failed) => {
        let letGo;
        const held = new Promise((resolve) => {
          letGo = resolve;
        });
        const done = lock(
          async () => {
            acquired({ letGo, done });
            await held;
          },
          { key, ...options },
        );
        done.catch(failed);
      }),
    async release(handle) {
      handle.letGo();
      await handle.done;
    },
  };
}

export const CONTENDERS = {
  "raw-node-redis": {
    label: "SET NX PX + compare-and-delete (node-redis): the unfenced floor",
    async create({ host, port, ttlMs, retryDelayMs, counter }) {
      const client = await nodeRedis(host, port, counter);
      const sha = await client.scriptLoad(COMPARE_AND_DELETE);
      const set = { condition: "NX", expiration: { type: "PX", value: ttlMs } };
      return {
        async acquire(key) {
          const token = randomUUID();
          while ((await client.set(key, token, set)) !== "OK") await sleep(retryDelayMs);
          return { key, token };
        },
        release: ({ key, token }) => client.evalSha(sha, { keys: [key], arguments: [token] }),
        close: () => client.close(),
      };
    },
  },
  "raw-ioredis": {
    label: "SET NX PX + compare-and-delete (ioredis)",
    async create({ host, port, ttlMs, retryDelayMs, counter }) {
      const client = await ioredis(host, port, counter);
      const sha = await client.script("LOAD", COMPARE_AND_DELETE);
      return {
        async acquire(key) {
          const token = randomUUID();
          while ((await client.set(key, token, "PX", ttlMs, "NX")) !== "OK") {
            await sleep(retryDelayMs);
          }
          return { key, token };
        },
        release: ({ key, token }) => client.evalsha(sha, 1, key, token),
        close: () => client.quit(),
      };
    },
  },
  "raw-fenced-ioredis": {
    label:
      "one script SET NX PX + INCR of a shared counter, then compare-and-delete (ioredis): the fenced floor",
    async create({ host, port, ttlMs, retryDelayMs, counter }) {
      const client = await ioredis(host, port, counter);
      const release = await client.script("LOAD", COMPARE_AND_DELETE);
      const acquire = await client.script("LOAD", FENCED_ACQUIRE);
      return {
        async acquire(key) {
          const token = randomUUID();
          const fenceKey = `fence:${key.length % 16}`;
          while (!(await client.evalsha(acquire, 2, key, fenceKey, token, ttlMs))) {
            await sleep(retryDelayMs);
          }
          return { key, token };
        },
        release: ({ key, token }) => client.evalsha(release, 1, key, token),
        close: () => client.quit(),
      };
    },
  },
  "redis-semaphore": {
    label: "redis-semaphore Mutex (ioredis), its defaults",
    async create({ host, port, counter }) {
      const { Mutex } = require("redis-semaphore");
      const client = await ioredis(host, port, counter);
      return {
        async acquire(key) {
          const mutex = new Mutex(client, key);
          await mutex.acquire();
          return mutex;
        },
        release: (mutex) => mutex.release(),
        close: () => client.quit(),
      };
    },
  },
  redlock: {
    label: "redlock 5 (ioredis), its defaults with unlimited retries",
    async create({ host, port, ttlMs, counter }) {
      const Redlock = require("redlock").default;
      const client = await ioredis(host, port, counter);
      const redlock = new Redlock([client], { retryCount: -1 });
      redlock.on("error", () => {}); // it reports every lost attempt
      return {
        acquire: (key) => redlock.acquire([key], ttlMs),
        release: (lock) => lock.release(),
        close: () => client.quit(),
      };
    },
  },
  "syncguard-lock": {
    label: "SyncGuard createLock(client) then lock(fn, { key }) (node-redis)",
    async create({ host, port, ttlMs, counter }) {
      const { createLock } = require("@syncguard/redis");
      const client = await nodeRedis(host, port, counter);
      return { ...lockContender(createLock(client), ttlMs), close: () => client.close() };
    },
  },
  "syncguard-backend": {
    label:
      "SyncGuard backend.acquire + backend.release only, the bench's own retry loop (node-redis)",
    async create({ host, port, ttlMs, retryDelayMs, counter }) {
      const { createRedisBackend } = require("@syncguard/redis");
      const client = await nodeRedis(host, port, counter);
      const backend = createRedisBackend(client);
      return {
        async acquire(key) {
          for (;;) {
            const result = await backend.acquire({ key, ttlMs });
            if (result.ok) return result;
            await sleep(retryDelayMs);
          }
        },
        async release({ lockId }) {
          if (!(await backend.release({ lockId })).ok) throw new Error("release found no lock");
        },
        async close() {
          await backend.close();
          await client.close();
        },
      };
    },
  },
  "syncguard-ioredis": {
    label: "SyncGuard createLock(client) then lock(fn, { key }) (ioredis)",
    async create({ host, port, ttlMs, counter }) {
      const { createLock } = require("@syncguard/redis");
      const client = await ioredis(host, port, counter);
      return { ...lockContender(createLock(client), ttlMs), close: () => client.quit() };
    },
  },
};
