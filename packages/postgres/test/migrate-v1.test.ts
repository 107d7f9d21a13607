import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isLockError } from "@syncguard/core";
import { compareFence, formatFence, generateLockId, MAX_FENCE } from "@syncguard/core/driver";
import type { Pool } from "pg";
import { createPostgresBackend, setupSchema } from "../src";
import { ROUTES, rowName } from "../src/storage";
import { freshSchema, newPool, uniqueKey } from "./helpers";

// Deployments of schema version 1 have one fence counter per key ever locked. Version 2 keeps one
// per route: setupSchema (and migrations/002) must carry every key's counter over without ever
// letting a key's next fence be lower than one it was issued.

let pool: Pool;
const schemas: string[] = [];
beforeAll(() => {
  pool = newPool();
});
afterAll(async () => {
  for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

/** Tables laid out by version 1: its shipped migration, pointed at a fresh schema. */
async function versionOneSchema(label: string): Promise<string> {
  const schema = freshSchema(label);
  schemas.push(schema);
  const v1 = readFileSync(join(__dirname, "..", "migrations", "001_init.sql"), "utf8");
  await pool.query(`CREATE SCHEMA "${schema}"`);
  await pool.query(v1.replaceAll('"public".', `"${schema}".`));
  return schema;
}

/** A lock and its counter as version 1 wrote them (name, key bytes, lock_id, fence). */
async function writeVersionOneLock(schema: string, key: string, fence: number, liveMs: number) {
  const lockId = generateLockId(key);
  await pool.query(`INSERT INTO "${schema}".syncguard_fences (name, fence) VALUES ($1, $2)`, [
    rowName(key),
    fence,
  ]);
  await pool.query(
    `INSERT INTO "${schema}".syncguard_locks (name, key, lock_id, acquired_at_ms, expires_at_ms, fence)
     SELECT $1, $2, $3, now_ms, now_ms + $5, $4
     FROM (SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now_ms) c`,
    [rowName(key), Buffer.from(key, "utf8"), lockId, fence, liveMs],
  );
  return lockId;
}

it("keeps every key's fences increasing: each route counter starts at the highest per-key counter", async () => {
  const schema = await versionOneSchema("v1fences");
  // Counters as version 1 left them: keys locked a few times, one a lot; locks since released.
  const counters = new Map<string, number>();
  for (const [i, fence] of [3, 1, 41, 7, 1_000_003, 12].entries()) {
    const key = uniqueKey(`v1-${i}`);
    counters.set(key, fence);
    await pool.query(`INSERT INTO "${schema}".syncguard_fences (name, fence) VALUES ($1, $2)`, [
      rowName(key),
      fence,
    ]);
  }
  await setupSchema(pool, { schema });

  const routes = await pool.query(
    `SELECT count(*)::int AS n, min(fence)::bigint AS low, max(fence)::bigint AS high
     FROM "${schema}".syncguard_fences`,
  );
  expect(routes.rows[0]).toEqual({ n: ROUTES, low: "1000003", high: "1000003" });
  const backend = createPostgresBackend(pool, { schema });
  for (const [key, old] of counters) {
    const held = await backend.acquire({ key, ttlMs: 30_000 });
    if (!held.ok) throw new Error("expected to acquire");
    expect(compareFence(held.fence, formatFence(old))).toBe(1);
    await backend.release({ lockId: held.lockId });
  }
  // A key version 1 never locked gets a fence above every old one too (its route was raised).
  const fresh = await backend.acquire({ key: uniqueKey("v1-new"), ttlMs: 30_000 });
  expect(fresh.ok && compareFence(fresh.fence, formatFence(1_000_003))).toBe(1);
  await backend.close();
});

it("a lock held across the migration stays held: the next holder waits, and its holder releases it", async () => {
  const schema = await versionOneSchema("v1held");
  const key = uniqueKey("v1-held");
  const lockId = await writeVersionOneLock(schema, key, 5, 30_000);
  await setupSchema(pool, { schema });
  const backend = createPostgresBackend(pool, { schema });
  expect(await backend.isLocked({ key })).toBe(true);
  expect(await backend.lookup({ key })).toMatchObject({ key, fence: formatFence(5) });
  expect((await backend.acquire({ key, ttlMs: 30_000 })).ok).toBe(false);
  expect((await backend.extend({ lockId, ttlMs: 30_000 })).ok).toBe(true);
  expect((await backend.release({ lockId })).ok).toBe(true);
  const next = await backend.acquire({ key, ttlMs: 30_000 });
  expect(next.ok && compareFence(next.fence, formatFence(5))).toBe(1);
  await backend.close();
});

it("an empty version-1 fence table migrates to empty route counters; running it again changes nothing", async () => {
  const schema = await versionOneSchema("v1empty");
  await setupSchema(pool, { schema });
  const backend = createPostgresBackend(pool, { schema });
  const key = uniqueKey("v1-empty");
  const first = await backend.acquire({ key, ttlMs: 30_000 });
  if (!first.ok) throw new Error("expected to acquire");
  expect(first.fence).toBe(formatFence(1));
  await backend.release({ lockId: first.lockId });
  // Again, from several processes at once: nothing is lowered, nothing is redone.
  await Promise.all(Array.from({ length: 3 }, () => setupSchema(pool, { schema })));
  const second = await backend.acquire({ key, ttlMs: 30_000 });
  expect(second.ok && second.fence).toBe(formatFence(2));
  await backend.close();
});

it("setups racing on version-1 tables migrate them once, and a counter at MAX_FENCE stays refused", async () => {
  const schema = await versionOneSchema("v1race");
  const key = uniqueKey("v1-full");
  await pool.query(`INSERT INTO "${schema}".syncguard_fences (name, fence) VALUES ($1, $2)`, [
    rowName(key),
    MAX_FENCE,
  ]);
  await Promise.all(Array.from({ length: 4 }, () => setupSchema(pool, { schema })));
  const backend = createPostgresBackend(pool, { schema });
  const error = await backend.acquire({ key, ttlMs: 30_000 }).catch((e: unknown) => e);
  expect(isLockError(error, "Internal")).toBe(true);
  expect((error as Error).message).toMatch(/overflow/);
  await backend.close();
});

it("before the migration, this version refuses with InvalidArgument saying to run setupSchema; version-1 statements fail after it", async () => {
  const schema = await versionOneSchema("v1order");
  const backend = createPostgresBackend(pool, { schema });
  const early = await backend.acquire({ key: uniqueKey("early"), ttlMs: 1_000 }).catch((e) => e);
  expect(isLockError(early, "InvalidArgument")).toBe(true);
  expect((early as Error).message).toMatch(/older schema version\. Run setupSchema/);
  await setupSchema(pool, { schema });
  expect((await backend.acquire({ key: uniqueKey("after"), ttlMs: 1_000 })).ok).toBe(true);
  // A process of version 1 still running bumps per-key counters by name: that now fails instead
  // of issuing a fence out of order.
  const stale = await pool
    .query(
      `INSERT INTO "${schema}".syncguard_fences AS f (name, fence) VALUES ('k', 1)
       ON CONFLICT (name) DO UPDATE SET fence = f.fence + 1 RETURNING f.fence`,
    )
    .catch((e: unknown) => e);
  expect((stale as { code?: string }).code).toBe("42703");
  await backend.close();
});
