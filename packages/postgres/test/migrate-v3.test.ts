import { readFileSync } from "node:fs";
import { join } from "node:path";
import { acquirePermit, isLockError } from "@syncguard/core";
import { generateLockId } from "@syncguard/core/driver";
import type { Pool } from "pg";
import { createPostgresBackend, setupSchema } from "../src";
import { semaphoreName, semaphoreRoute } from "../src/semaphore-name";
import { keyBytes } from "../src/storage";
import { freshSchema, newPool } from "./helpers";

// Schema version 4 adds the permit waiters' queue to version 3's tables: setupSchema (and
// migrations/004) add it in place; permits held meanwhile are untouched, and version 3's permit
// function stays for processes of version 3 still running.

let pool: Pool;
const schemas: string[] = [];
beforeAll(() => {
  pool = newPool();
});
afterAll(async () => {
  for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

/** Tables laid out by version 3: its shipped migration, pointed at a fresh schema. */
async function versionThreeSchema(label: string): Promise<string> {
  const schema = freshSchema(label);
  schemas.push(schema);
  const v3 = readFileSync(join(__dirname, "..", "migrations", "003_semaphores.sql"), "utf8");
  await pool.query(`CREATE SCHEMA "${schema}"`);
  await pool.query(v3.replaceAll('"public".', `"${schema}".`));
  return schema;
}

/** One attempt through version 3's permit function, as a process of version 3 makes it. */
async function versionThreeAttempt(schema: string, key: string): Promise<number> {
  const result = await pool.query(
    `SELECT outcome FROM "${schema}"."syncguard_acquire_permit"($1, $2, $3, $4::bigint, $5::integer, $6::smallint)`,
    [semaphoreName(key), keyBytes(key), generateLockId(key), 30_000, 1, semaphoreRoute(key)],
  );
  return Number(result.rows[0]?.outcome);
}

it("a backend on version 3's tables says to run setupSchema; setupSchema adds the permit queue and keeps held permits", async () => {
  const schema = await versionThreeSchema("v3queue");
  // A permit taken by a process of version 3 before the upgrade.
  expect(await versionThreeAttempt(schema, "s")).toBe(1);
  const backend = createPostgresBackend(pool, { schema });
  let error: unknown;
  try {
    await acquirePermit(backend, { key: "s", permits: 1, timeoutMs: 0 });
  } catch (caught) {
    error = caught;
  }
  expect(isLockError(error, "InvalidArgument")).toBe(true);
  expect((error as Error).message).toMatch(/Run setupSchema\(client\) once/);

  await setupSchema(pool, { schema });
  // The old holder's permit still counts: the semaphore of one permit is full.
  await expect(
    acquirePermit(backend, { key: "s", permits: 1, timeoutMs: 0 }),
  ).rejects.toMatchObject({ code: "AcquisitionTimeout" });
  // A process of version 3 still running keeps its function (full: outcome 3).
  expect(await versionThreeAttempt(schema, "s")).toBe(3);
  await using permit = await acquirePermit(backend, { key: "t", permits: 1, timeoutMs: 0 });
  expect(permit.key).toBe("t");
  await backend.close();
});

it("after setupSchema on version 3's tables the schema has version 4's functions and version 3's permit function", async () => {
  const schema = await versionThreeSchema("v3functions");
  await setupSchema(pool, { schema });
  const functions = await pool.query(
    `SELECT proname || '/' || pronargs AS f FROM pg_proc
     WHERE pronamespace = $1::regnamespace ORDER BY 1`,
    [`"${schema}"`],
  );
  // pronargs counts the IN parameters: version 3's takes 6, version 4's 8.
  expect(functions.rows.map((row) => row.f)).toEqual([
    "syncguard_acquire_permit/6",
    "syncguard_acquire_permit/8",
    "syncguard_relay/4",
    "syncguard_relay_permit/5",
  ]);
});
