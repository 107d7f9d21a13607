import { randomBytes } from "node:crypto";
import { forceRelease, StaleFenceError } from "@syncguard/core";
import { formatFence, MAX_FENCE } from "@syncguard/core/driver";
import { createMemoryBackend } from "@syncguard/core/memory";
import { Pool } from "pg";
import { CREATE_TABLE, FENCED_UPDATE, FENCED_UPSERT, READ_FENCE } from "./pattern";

const HINT =
  "run `pnpm test` from the repo root, or `node scripts/services.mjs run --postgres -- …`";

function postgresUrl(): string {
  const url = process.env.SYNCGUARD_POSTGRES_URL;
  if (!url) throw new Error(`SYNCGUARD_POSTGRES_URL is not set: ${HINT}`);
  return url;
}

// One schema per run of this file, so parallel runs on one server never share a table.
const schema = `fence_sql_${randomBytes(6).toString("hex")}`;
const table = `${schema}.accounts`;
let pool: Pool;

beforeAll(async () => {
  pool = new Pool({ connectionString: postgresUrl(), max: 8 });
  await pool.query(`CREATE SCHEMA ${schema}`);
  await pool.query(CREATE_TABLE(table));
});

afterAll(async () => {
  await pool?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pool?.end();
});

/** The caller's fenced write as the README shows it: a refused write throws StaleFenceError. */
async function writeBalance(sql: string, id: string, balance: number, fence: string) {
  const written = await pool.query(sql, [id, balance, fence]);
  if (written.rowCount === 1) return;
  const current = await pool.query(READ_FENCE(table), [id]);
  throw new StaleFenceError(fence, current.rows[0]?.last_fence ?? "(no row)", id);
}

async function readRow(id: string): Promise<{ balance: number; last_fence: string } | undefined> {
  return (await pool.query(READ_FENCE(table), [id])).rows[0];
}

describe.each([
  ["INSERT ... ON CONFLICT DO UPDATE ... WHERE", FENCED_UPSERT(table)],
  ["UPDATE ... WHERE last_fence <=", FENCED_UPDATE(table)],
])("%s", (_name, sql) => {
  it("refuses a stale holder's write after a takeover; a newer or equal fence writes", async () => {
    const backend = createMemoryBackend();
    const id = `acct-${randomBytes(4).toString("hex")}`;
    const stale = await backend.acquire({ key: id, ttlMs: 30_000 });
    if (!stale.ok) throw new Error("expected to acquire");
    // The UPDATE form needs the row to exist; the first write is the stale holder's own.
    await writeBalance(FENCED_UPSERT(table), id, 10, stale.fence);
    await forceRelease(backend, id); // the holder hung; an operator cleared it
    const fresh = await backend.acquire({ key: id, ttlMs: 30_000 });
    if (!fresh.ok) throw new Error("expected the takeover");
    expect(fresh.fence > stale.fence).toBe(true);

    await writeBalance(sql, id, 20, fresh.fence);
    await writeBalance(sql, id, 25, fresh.fence); // the same holder again: an equal fence passes
    const refused = await writeBalance(sql, id, 99, stale.fence).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StaleFenceError);
    expect(refused).toMatchObject({ fence: stale.fence, lastFence: fresh.fence });
    expect(await readRow(id)).toEqual({ balance: 25, last_fence: fresh.fence });
    await backend.release({ lockId: fresh.lockId });
  });
});

it("compares fences as numbers across the whole fence range", async () => {
  const id = `range-${randomBytes(4).toString("hex")}`;
  const top = formatFence(MAX_FENCE);
  await writeBalance(FENCED_UPSERT(table), id, 1, formatFence(9));
  await writeBalance(FENCED_UPSERT(table), id, 2, top);
  // "000000000000010" > "000000000000009" as a number, and nothing passes the largest fence.
  const refused = await writeBalance(FENCED_UPSERT(table), id, 3, formatFence(10)).catch(
    (e: unknown) => e,
  );
  expect(refused).toBeInstanceOf(StaleFenceError);
  expect(await readRow(id)).toEqual({ balance: 2, last_fence: top });
});

it("concurrent writers on separate connections never move the stored fence backwards", async () => {
  const id = `race-${randomBytes(4).toString("hex")}`;
  // Every change of the row is recorded, so a regression in between is seen, not only the end.
  await pool.query(`CREATE TABLE ${schema}.changes (old_fence bigint, new_fence bigint)`);
  await pool.query(`
    CREATE FUNCTION ${schema}.record_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO ${schema}.changes VALUES (OLD.last_fence, NEW.last_fence);
      RETURN NEW;
    END $$`);
  await pool.query(`
    CREATE TRIGGER record_change AFTER UPDATE ON ${table}
    FOR EACH ROW EXECUTE FUNCTION ${schema}.record_change()`);

  // Real fences from successive holders of one key, written in a shuffled order by 8 writers.
  const backend = createMemoryBackend();
  const fences: string[] = [];
  for (let i = 0; i < 40; i++) {
    const held = await backend.acquire({ key: id, ttlMs: 30_000 });
    if (!held.ok) throw new Error("expected to acquire");
    fences.push(held.fence);
    await backend.release({ lockId: held.lockId });
  }
  const shuffled = [...fences];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j] as string, shuffled[i] as string];
  }
  const outcomes = await Promise.all(
    shuffled.map((fence, i) =>
      writeBalance(FENCED_UPSERT(table), id, i, fence).then(
        () => "written",
        (e: unknown) => {
          if (e instanceof StaleFenceError) return "refused";
          throw e;
        },
      ),
    ),
  );

  const newest = fences[fences.length - 1] as string;
  expect(outcomes).toContain("written");
  expect((await readRow(id))?.last_fence).toBe(newest);
  const changes = await pool.query(
    `SELECT count(*)::int AS n, count(*) FILTER (WHERE new_fence < old_fence)::int AS backwards
     FROM ${schema}.changes`,
  );
  expect(changes.rows[0]).toMatchObject({ backwards: 0 });
  // Every write after the first insert is an update: none of them went backwards.
  expect(changes.rows[0].n).toBe(outcomes.filter((o) => o === "written").length - 1);
});
