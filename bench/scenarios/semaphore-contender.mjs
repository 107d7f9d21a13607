// One semaphore bench contender in a process of its own (forked by semaphore.mjs): 8 workers,
// each with its own connection as 8 processes would have, take permits of one key with `permits`
// 3 for a while, holding each for `holdMs`. Reports completed sections per worker, the longest
// wait for a permit (a stall), and the most sections seen inside at once (the workers share this
// process, so the count is exact). Messages from the parent:
//   { cmd: "run", contender, url, key, workers, permits, holdMs, ms } -> the chunk's result
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";

const require = createRequire(import.meta.url);
const now = () => performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A contender: `connect()` a worker's own client, then `section(fn)` runs fn under a permit. */
const CONTENDERS = {
  "syncguard-node-redis": {
    label: "SyncGuard lock.semaphore (node-redis), lock()'s defaults",
    async connect({ url, key, permits }) {
      const { createClient } = require("redis");
      const { createLock } = require("@syncguard/redis");
      const client = createClient({ url });
      await client.connect();
      const lock = createLock(client, { timeoutMs: 600_000, maxRetries: 1_000_000 });
      return {
        section: (fn) => lock.semaphore(fn, { key, permits, ttlMs: 10_000 }),
        close: async () => {
          await lock.close();
          await client.quit();
        },
      };
    },
  },
  "syncguard-ioredis": {
    label: "SyncGuard lock.semaphore (ioredis), lock()'s defaults",
    async connect({ url, key, permits }) {
      const Redis = require("ioredis");
      const { createLock } = require("@syncguard/redis");
      const client = new Redis(url);
      const lock = createLock(client, { timeoutMs: 600_000, maxRetries: 1_000_000 });
      return {
        section: (fn) => lock.semaphore(fn, { key, permits, ttlMs: 10_000 }),
        close: async () => {
          await lock.close();
          await client.quit();
        },
      };
    },
  },
  "redis-semaphore": {
    label: "redis-semaphore Semaphore (ioredis), its defaults, acquireTimeout 600 s",
    async connect({ url, key, permits }) {
      const Redis = require("ioredis");
      const { Semaphore } = require("redis-semaphore");
      const client = new Redis(url);
      return {
        async section(fn) {
          const semaphore = new Semaphore(client, key, permits, {
            lockTimeout: 10_000,
            acquireTimeout: 600_000,
          });
          await semaphore.acquire();
          try {
            return await fn();
          } finally {
            await semaphore.release();
          }
        },
        close: () => client.quit(),
      };
    },
  },
};

async function run({ contender, url, key, workers, permits, holdMs, ms }) {
  const impl = CONTENDERS[contender];
  const clients = await Promise.all(
    Array.from({ length: workers }, () => impl.connect({ url, key, permits })),
  );
  let inside = 0;
  let mostInside = 0;
  const done = new Array(workers).fill(0);
  const longestWait = new Array(workers).fill(0);
  const errors = {};
  const end = now() + ms;
  const t0 = now();
  await Promise.all(
    clients.map(async (client, worker) => {
      while (now() < end) {
        const asked = now();
        try {
          await client.section(async () => {
            longestWait[worker] = Math.max(longestWait[worker], now() - asked);
            inside++;
            mostInside = Math.max(mostInside, inside);
            await sleep(holdMs);
            inside--;
          });
          done[worker]++;
        } catch (error) {
          const name = error?.code ?? error?.name ?? "Error";
          errors[name] = (errors[name] ?? 0) + 1;
        }
      }
    }),
  );
  const seconds = (now() - t0) / 1000;
  await Promise.all(clients.map((client) => client.close()));
  return { label: impl.label, seconds, done, longestWait, mostInside, errors };
}

process.on("message", async (message) => {
  if (message.cmd !== "run") return;
  try {
    process.send({ ok: true, result: await run(message) });
  } catch (error) {
    process.send({ ok: false, error: String(error?.stack ?? error) });
  }
});
