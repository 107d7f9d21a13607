import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { acquirePermit, isLockError } from "@syncguard/core";
import type { Pool } from "pg";
import { createPostgresBackend, schemaSql, setupSchema } from "../src";
import { freshSchema, newPool } from "./helpers";

/** SHA-256 of migrations/001_init.sql as released with schema version 1. */
const SCHEMA_V1_SHA256 = "f52b915d1d516b4162b79eb26c2ad5c6ae437203033fd9a187d10d8a3d52e4d7";
/** SHA-256 of migrations/002_route_fences_and_wait_queue.sql as released with schema version 2. */
const SCHEMA_V2_SHA256 = "3017935c1e01cd7a6727abe88fe12d9260b7bb323db657c04bc9af8081649807";
/** SHA-256 of migrations/003_semaphores.sql as shipped with schema version 3. */
const SCHEMA_V3_SHA256 = "2deb918e74ce17a02349d7617360feb53a0888584735ebcff5ccf848a5fab4e9";

let pool: Pool;
const schemas: string[] = [];
beforeAll(() => {
  pool = newPool();
});
afterAll(async () => {
  for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

function schemaFor(label: string): string {
  const schema = freshSchema(label);
  schemas.push(schema);
  return schema;
}

it("the shipped migration 004 is setupSchema's SQL for the default names; 001 to 003 are unchanged", () => {
  const migration = (file: string) =>
    readFileSync(join(__dirname, "..", "migrations", file), "utf8");
  expect(migration("004_permit_queue.sql")).toBe(schemaSql());
  // Migration tools checksum applied files: released migrations must never change.
  const sha256 = (file: string) => createHash("sha256").update(migration(file)).digest("hex");
  expect(sha256("001_init.sql")).toBe(SCHEMA_V1_SHA256);
  expect(sha256("002_route_fences_and_wait_queue.sql")).toBe(SCHEMA_V2_SHA256);
  expect(sha256("003_semaphores.sql")).toBe(SCHEMA_V3_SHA256);
});

it("setupSchema is idempotent and safe to run from several processes at once", async () => {
  const schema = schemaFor("setup");
  await Promise.all(Array.from({ length: 4 }, () => setupSchema(pool, { schema })));
  await setupSchema(pool, { schema });
  const tables = await pool.query(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1",
    [schema],
  );
  expect(tables.rows.map((r) => r.table_name)).toEqual([
    "syncguard_fences",
    "syncguard_locks",
    "syncguard_permit_queue",
    "syncguard_permits",
    "syncguard_queue",
  ]);
});

it("a table prefix names both tables; two prefixes in one schema are independent", async () => {
  const schema = schemaFor("prefix");
  await setupSchema(pool, { schema, tablePrefix: "a_" });
  await setupSchema(pool, { schema, tablePrefix: "b_" });
  const a = createPostgresBackend(pool, { schema, tablePrefix: "a_" });
  const b = createPostgresBackend(pool, { schema, tablePrefix: "b_" });
  const first = await a.acquire({ key: "same", ttlMs: 30_000 });
  const second = await b.acquire({ key: "same", ttlMs: 30_000 });
  expect(first.ok && second.ok).toBe(true);
  await Promise.all([a.close(), b.close()]);
});

it("missing tables are a clear InvalidArgument that says to run setupSchema; after it, the same backend works", async () => {
  const schema = schemaFor("missing");
  const backend = createPostgresBackend(pool, { schema });
  for (const call of [
    () => backend.acquire({ key: "k", ttlMs: 1000 }),
    () => backend.isLocked({ key: "k" }),
    () => backend.lookup({ key: "k" }),
  ]) {
    const error = await call().catch((e: unknown) => e);
    expect(isLockError(error, "InvalidArgument")).toBe(true);
    expect((error as Error).message).toMatch(/do not exist\. Run setupSchema/);
  }
  await pool.query(`CREATE SCHEMA "${schema}"`); // empty: no tables, no functions
  // A semaphore call fails on the missing permit function: it cannot tell an empty schema from
  // an older one, and says both (it said only "older schema version").
  const permit = await acquirePermit(backend, { key: "k", permits: 2, timeoutMs: 0 }).catch(
    (e: unknown) => e,
  );
  expect(isLockError(permit, "InvalidArgument")).toBe(true);
  expect((permit as Error).message).toMatch(
    /do not exist, or are laid out by an older schema version without its functions\. Run setupSchema/,
  );
  // The statements that failed to prepare are prepared again once the tables exist.
  await setupSchema(pool, { schema });
  expect((await backend.acquire({ key: "k", ttlMs: 1000 })).ok).toBe(true);
  expect(await backend.isLocked({ key: "k" })).toBe(true);
  await backend.close();
});
