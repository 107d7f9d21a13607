// PostgreSQL: uncontended acquire + release as a ratio of the raw floor on the same server (one
// `INSERT ... ON CONFLICT DO NOTHING` + one `DELETE`, what any hand-written table lock costs), and
// one hot key with several workers: SyncGuard lock() (LISTEN/NOTIFY wake-ups) against a raw
// table lock that polls every 50 ms. Each worker has its own pool.
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { createSyncGuardLock } from "../lib/contenders.mjs";
import { errorMessage, now, percentiles, rotate, sleep } from "../lib/util.mjs";

const require = createRequire(import.meta.url);
const SCHEMA = "bench";

function load() {
  const { Pool } = require("pg");
  const { createPostgresBackend, setupSchema } = require("@syncguard/postgres");
  return { Pool, createPostgresBackend, setupSchema };
}

function newPool(Pool, url, max) {
  const pool = new Pool({ connectionString: url, max });
  pool.on("error", () => {});
  return pool;
}

async function setup(url) {
  const { Pool, setupSchema } = load();
  const pool = newPool(Pool, url, 2);
  await setupSchema(pool, { schema: SCHEMA });
  await pool.query(
    `CREATE TABLE IF NOT EXISTS ${SCHEMA}.raw_locks (name text PRIMARY KEY, owner text NOT NULL, expires_at timestamptz NOT NULL)`,
  );
  await pool.end();
}

const opNames = [
  "floor pair",
  "floor insert",
  "floor delete",
  "acquire+release",
  "acquire",
  "release",
  "extend",
  "isLocked",
];

export async function postgresUncontended({ url, rounds, perRound, log }) {
  await setup(url);
  const { Pool, createPostgresBackend } = load();
  const pool = newPool(Pool, url, 1);
  const backend = createPostgresBackend(pool, { schema: SCHEMA });
  const lat = Object.fromEntries(opNames.map((n) => [n, []]));
  const timed = async (name, fn) => {
    const t0 = now();
    const r = await fn();
    lat[name].push(now() - t0);
    return r;
  };
  // Prepared, like SyncGuard's statements: the floor is the cheapest the server can do.
  const floorInsert = (k) =>
    pool.query({
      name: "bench_floor_insert",
      text: `INSERT INTO ${SCHEMA}.raw_locks (name, owner, expires_at) VALUES ($1, 'x', now() + interval '30 s') ON CONFLICT DO NOTHING`,
      values: [k],
    });
  const floorDelete = (k) =>
    pool.query({
      name: "bench_floor_delete",
      text: `DELETE FROM ${SCHEMA}.raw_locks WHERE name = $1 AND owner = 'x'`,
      values: [k],
    });
  let seq = 0;
  // warm-up: connection, prepared plans
  for (let i = 0; i < 20; i++) {
    const k = `warm-${i}`;
    await floorInsert(k);
    await floorDelete(k);
    const got = await backend.acquire({ key: k, ttlMs: 30_000 });
    if (got.ok) await backend.release({ lockId: got.lockId });
  }
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < perRound; i++) {
      const k = `u${r}-${seq++}`;
      const t0 = now();
      await timed("floor insert", () => floorInsert(k));
      await timed("floor delete", () => floorDelete(k));
      lat["floor pair"].push(now() - t0);
      const t1 = now();
      const got = await timed("acquire", () => backend.acquire({ key: k, ttlMs: 30_000 }));
      if (!got.ok) throw new Error(`postgres acquire of a fresh key failed: ${k}`);
      await timed("release", () => backend.release({ lockId: got.lockId }));
      lat["acquire+release"].push(now() - t1);
      const again = await backend.acquire({ key: k, ttlMs: 30_000 });
      if (!again.ok) throw new Error("re-acquire failed");
      await timed("extend", () => backend.extend({ lockId: again.lockId, ttlMs: 30_000 }));
      await timed("isLocked", () => backend.isLocked({ key: k }));
      await backend.release({ lockId: again.lockId });
    }
    log(`  round ${r + 1}/${rounds}`);
  }
  await backend.close();
  await pool.end();
  const floor = percentiles(lat["floor pair"], [50, 99]);
  return opNames.map((name) => {
    const p = percentiles(lat[name], [50, 99]);
    return { op: name, n: lat[name].length, ...p, vsFloorP50: p.p50 / floor.p50 };
  });
}

/** A raw table lock: insert if free (or expired), poll every 50 ms; release deletes own row. */
function rawPostgresLock(pool, owner) {
  return async (key, fn, stopAt) => {
    for (;;) {
      const got = await pool.query(
        `INSERT INTO ${SCHEMA}.raw_locks AS l (name, owner, expires_at)
         VALUES ($1, $2, clock_timestamp() + interval '30 s')
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
         WHERE l.expires_at < clock_timestamp()`,
        [key, owner],
      );
      if (got.rowCount === 1) break;
      if (Date.now() > stopAt) throw new Error("raw postgres lock: round ended");
      await sleep(50);
    }
    try {
      return await fn();
    } finally {
      await pool.query(`DELETE FROM ${SCHEMA}.raw_locks WHERE name = $1 AND owner = $2`, [
        key,
        owner,
      ]);
    }
  };
}

export async function postgresHotKey({ url, workers, durationS, rounds, log }) {
  await setup(url);
  const { Pool, createPostgresBackend } = load();
  const arms = [];
  {
    const pools = Array.from({ length: workers }, () => newPool(Pool, url, 1));
    arms.push({
      name: "raw table lock (50 ms poll)",
      locks: pools.map((pool, w) => rawPostgresLock(pool, `w${w}-${process.pid}`)),
      close: () => Promise.all(pools.map((p) => p.end())),
    });
  }
  {
    // Two connections each: statements, and the listening connection while waiting.
    const pools = Array.from({ length: workers }, () => newPool(Pool, url, 2));
    const backends = pools.map((pool) => createPostgresBackend(pool, { schema: SCHEMA }));
    const locks = backends.map((b) => createSyncGuardLock(b));
    arms.push({
      name: "SyncGuard lock()",
      locks: locks.map(
        (lock) => (key, fn, stopAt) =>
          lock(fn, {
            key,
            timeoutMs: 10_000,
            signal: AbortSignal.timeout(Math.max(1, Math.ceil(stopAt - Date.now()))),
          }),
      ),
      close: async () => {
        for (const b of backends) await b.close();
        await Promise.all(pools.map((p) => p.end()));
      },
    });
  }
  const acc = new Map(
    arms.map((a) => [
      a.name,
      {
        ms: 0,
        acq: 0,
        failures: 0,
        perWorker: new Array(workers).fill(0),
        gaps: [],
        errors: new Map(),
        takeBacks: 0,
      },
    ]),
  );
  const roundMs = (durationS * 1000) / rounds;
  for (let r = 0; r < rounds; r++) {
    for (const arm of rotate(arms, r)) {
      const a = acc.get(arm.name);
      const key = `hot-${arm.name.startsWith("raw") ? "raw" : "sg"}`;
      const tEnd = now() + roundMs;
      let lastRel = 0;
      let lastWorker = -1;
      await Promise.all(
        arm.locks.map(async (lock, w) => {
          while (now() < tEnd) {
            try {
              await lock(
                key,
                async () => {
                  const t = now();
                  if (t <= tEnd) {
                    a.acq++;
                    a.perWorker[w]++;
                    if (lastWorker >= 0 && lastWorker !== w) a.gaps.push(t - lastRel);
                    if (lastWorker === w) a.takeBacks++;
                  }
                  await sleep(1);
                  lastRel = now();
                  lastWorker = w;
                },
                performance.timeOrigin + tEnd,
              );
            } catch (error) {
              if (now() >= tEnd) break;
              a.failures++;
              const msg = errorMessage(error);
              a.errors.set(msg, (a.errors.get(msg) ?? 0) + 1);
              await sleep(1);
            }
          }
        }),
      );
      a.ms += roundMs;
    }
    log(`  round ${r + 1}/${rounds}`);
  }
  for (const arm of arms) await arm.close();
  return arms.map((arm) => {
    const a = acc.get(arm.name);
    const g = percentiles(a.gaps, [50, 99]);
    const min = Math.min(...a.perWorker);
    const max = Math.max(...a.perWorker);
    return {
      name: arm.name,
      acquisitions: a.acq,
      acqPerS: a.acq / (a.ms / 1000),
      gapP50: g.p50,
      gapP99: g.p99,
      stalls: a.gaps.filter((gap) => gap > 1000).length,
      minMaxShare: max > 0 ? min / max : Number.NaN,
      takeBackShare: a.acq > 1 ? a.takeBacks / (a.acq - 1) : Number.NaN,
      perWorker: a.perWorker,
      failures: a.failures,
      errors: Object.fromEntries(a.errors),
    };
  });
}
