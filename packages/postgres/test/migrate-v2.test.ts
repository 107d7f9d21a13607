import { readFileSync } from "node:fs";
import { join } from "node:path";
import { acquirePermit, isLockError } from "@syncguard/core";
import type { Pool } from "pg";
import { createPostgresBackend, setupSchema } from "../src";
import { freshSchema, newPool } from "./helpers";

// Schema version 3 adds the semaphore objects (ADR-039) to version 2's tables: setupSchema (and
// migrations/003) add them in place, and locks held meanwhile are untouched.

let pool: Pool;
const schemas: string[] = [];
beforeAll(() => {
  pool = newPool();
});
afterAll(async () => {
  for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

/** Tables laid out by version 2: its shipped migration, pointed at a fresh schema. */
async function versionTwoSchema(label: string): Promise<string> {
  const schema = freshSchema(label);
  schemas.push(schema);
  const v2 = readFileSync(
    join(__dirname, "..", "migrations", "002_route_fences_and_wait_queue.sql"),
    "utf8",
  );
  await pool.query(`CREATE SCHEMA "${schema}"`);
  await pool.query(
    v2.replaceAll('"public".', `"${schema}".`).replaceAll('\'"public".', `'"${schema}".`),
  );
  return schema;
}

it("a backend on version 2's tables says to run setupSchema for semaphores; setupSchema adds them and keeps held locks", async () => {
  const schema = await versionTwoSchema("v2permits");
  const backend = createPostgresBackend(pool, { schema });
  const held = await backend.acquire({ key: "held", ttlMs: 60_000 });
  expect(held.ok).toBe(true);
  let error: unknown;
  try {
    await acquirePermit(backend, { key: "s", permits: 2, timeoutMs: 0 });
  } catch (caught) {
    error = caught;
  }
  expect(isLockError(error, "InvalidArgument")).toBe(true);
  expect((error as Error).message).toMatch(/Run setupSchema\(client\) once/);

  await setupSchema(pool, { schema });
  await using permit = await acquirePermit(backend, { key: "s", permits: 2, timeoutMs: 0 });
  expect(permit.key).toBe("s");
  expect(held.ok && (await backend.lookup({ lockId: held.lockId }))?.fence).toBe(
    held.ok ? held.fence : undefined,
  );
  await backend.close();
});
