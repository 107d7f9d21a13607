import { createLock, isLockError } from "@syncguard/core";
import { formatFence, keyTag, MAX_FENCE, TIME_TOLERANCE_MS } from "@syncguard/core/driver";
import type { Pool } from "pg";
import { createPostgresBackend, type PostgresBackend, setupSchema } from "../src";
import { ROUTES, routeOfTag, rowName } from "../src/storage";
import { uniqueKey, useSchema } from "./helpers";

let pool: Pool;
let schema: string;
let backend: PostgresBackend;
useSchema("backend", (created, name) => {
  pool = created;
  schema = name;
  backend = createPostgresBackend(pool, { schema });
});
afterAll(() => backend?.close());

const locks = () => `"${schema}".syncguard_locks`;
const fences = () => `"${schema}".syncguard_fences`;

async function dbNowMs(): Promise<number> {
  const r = await pool.query(
    "SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms",
  );
  return Number(r.rows[0].ms);
}

it("expiry is set by the database clock: expiresAtMs - ttlMs lies between two reads of it", async () => {
  const before = await dbNowMs();
  const held = await backend.acquire({ key: uniqueKey("clock"), ttlMs: 60_000 });
  const after = await dbNowMs();
  if (!held.ok) throw new Error("expected to acquire");
  expect(held.expiresAtMs - 60_000).toBeGreaterThanOrEqual(before);
  expect(held.expiresAtMs - 60_000).toBeLessThanOrEqual(after);
});

it("a route counter at MAX_FENCE refuses the acquire before writing anything; one below issues MAX_FENCE", async () => {
  // Tables of their own: a full counter would refuse every other key of its route too.
  const tablePrefix = "overflow_";
  await setupSchema(pool, { schema, tablePrefix });
  const own = createPostgresBackend(pool, { schema, tablePrefix });
  const ownFences = `"${schema}".overflow_fences`;
  const setCounter = (key: string, fence: number) =>
    pool.query(
      `INSERT INTO ${ownFences} (route, fence) VALUES ($1, $2)
       ON CONFLICT (route) DO UPDATE SET fence = excluded.fence`,
      [routeOfTag(keyTag(key)), fence],
    );
  const full = uniqueKey("overflow");
  await setCounter(full, MAX_FENCE);
  const error = await own.acquire({ key: full, ttlMs: 30_000 }).catch((e: unknown) => e);
  expect(isLockError(error, "Internal")).toBe(true);
  expect((error as Error).message).toMatch(/overflow/);
  const rows = await pool.query(`SELECT 1 FROM "${schema}".overflow_locks WHERE name = $1`, [
    rowName(full),
  ]);
  expect(rows.rowCount).toBe(0);
  const counter = await pool.query(`SELECT fence FROM ${ownFences} WHERE route = $1`, [
    routeOfTag(keyTag(full)),
  ]);
  expect(counter.rows[0].fence).toBe(String(MAX_FENCE));

  const last = uniqueKey("last-fence");
  await setCounter(last, MAX_FENCE - 1);
  const held = await own.acquire({ key: last, ttlMs: 30_000 });
  expect(held).toMatchObject({ ok: true, fence: formatFence(MAX_FENCE) });
  // A key its counter cannot serve any more, but held: contention, not overflow (nothing to take).
  expect(await own.acquire({ key: last, ttlMs: 30_000 })).toMatchObject({
    ok: false,
    reason: "locked",
    holder: { fence: formatFence(MAX_FENCE) },
  });
  await own.close();
});

it("cleanupInIsLocked deletes a long-expired lock row, never its fence counter", async () => {
  const cleaning = createPostgresBackend(pool, { schema, cleanupInIsLocked: true, notify: false });
  const key = uniqueKey("cleanup");
  const held = await cleaning.acquire({ key, ttlMs: 30_000 });
  if (!held.ok) throw new Error("expected to acquire");
  // Expire it well past the cleanup guard without waiting: move its expiry into the past.
  await pool.query(`UPDATE ${locks()} SET expires_at_ms = expires_at_ms - 120000 WHERE name = $1`, [
    rowName(key),
  ]);
  expect(await backend.isLocked({ key })).toBe(false); // no cleanup: the row stays
  expect(
    (await pool.query(`SELECT 1 FROM ${locks()} WHERE name = $1`, [rowName(key)])).rowCount,
  ).toBe(1);
  expect(await cleaning.isLocked({ key })).toBe(false);
  expect(
    (await pool.query(`SELECT 1 FROM ${locks()} WHERE name = $1`, [rowName(key)])).rowCount,
  ).toBe(0);
  const counter = await pool.query(`SELECT fence FROM ${fences()} WHERE route = $1`, [
    routeOfTag(keyTag(key)),
  ]);
  expect(formatFence(BigInt(counter.rows[0].fence)) >= held.fence).toBe(true);
  const next = await cleaning.acquire({ key, ttlMs: 30_000 });
  expect(next.ok && next.fence > held.fence).toBe(true);
});

it("a lock is live until expiresAtMs + 1000 ms by the database clock", async () => {
  const key = uniqueKey("tolerance");
  const held = await backend.acquire({ key, ttlMs: 30_000 });
  if (!held.ok) throw new Error("expected to acquire");
  // Put the expiry just inside, then just outside, the tolerance window.
  const setExpiry = async (offsetMs: number) =>
    pool.query(
      `UPDATE ${locks()} SET expires_at_ms =
         floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint + $2 WHERE name = $1`,
      [rowName(key), offsetMs],
    );
  await setExpiry(-TIME_TOLERANCE_MS + 5_000);
  expect(await backend.isLocked({ key })).toBe(true);
  await setExpiry(-TIME_TOLERANCE_MS - 1);
  expect(await backend.isLocked({ key })).toBe(false);
  expect((await backend.acquire({ key, ttlMs: 30_000 })).ok).toBe(true);
});

it("keys holding NUL, or longer than 512 bytes, lock and read back whole", async () => {
  for (const key of [`a\u0000b-${uniqueKey("nul")}`, `${"é".repeat(400)}${uniqueKey("long")}`]) {
    const held = await backend.acquire({ key, ttlMs: 30_000 });
    if (!held.ok) throw new Error("expected to acquire");
    expect((await backend.lookup({ key }))?.key).toBe(key);
    expect((await backend.acquire({ key, ttlMs: 30_000 })).ok).toBe(false);
  }
});

it("without notify there is no subscribe, and lock() still hands over by polling", async () => {
  const polling = createPostgresBackend(pool, { schema, notify: false });
  expect((polling as { subscribe?: unknown }).subscribe).toBeUndefined();
  const key = uniqueKey("polling");
  const held = await polling.acquire({ key, ttlMs: 30_000 });
  if (!held.ok) throw new Error("expected to acquire");
  const lock = createLock(polling);
  const waiting = lock(({ fence }) => fence, { key, timeoutMs: 5_000, retryDelayMs: 20 });
  await polling.release({ lockId: held.lockId });
  expect((await waiting) > held.fence).toBe(true);
});

it("storage does not grow with the keys ever locked: 6000 keys leave at most 4096 fence counters and no lock rows", async () => {
  const tablePrefix = "bounded_";
  await setupSchema(pool, { schema, tablePrefix });
  const own = createPostgresBackend(pool, { schema, tablePrefix });
  const prefix = uniqueKey("bounded");
  for (let batch = 0; batch < 60; batch++) {
    await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const held = await own.acquire({ key: `${prefix}:${batch}:${i}`, ttlMs: 30_000 });
        if (!held.ok) throw new Error("expected to acquire");
        await own.release({ lockId: held.lockId });
      }),
    );
  }
  const count = async (table: string) =>
    Number((await pool.query(`SELECT count(*) AS n FROM "${schema}".${table}`)).rows[0].n);
  expect(await count("bounded_fences")).toBeLessThanOrEqual(ROUTES);
  expect(await count("bounded_locks")).toBe(0);
  await own.close();
}, 60_000);
