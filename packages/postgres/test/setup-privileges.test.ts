import { randomBytes } from "node:crypto";
import { isLockError } from "@syncguard/core";
import { Client, Pool } from "pg";
import postgres from "postgres";
import { createLock, createPostgresBackend, type PgClientLike, setupSchema } from "../src";
import { freshSchema, newPool, postgresUrl, uniqueKey } from "./helpers";

/**
 * An application role with only SELECT, INSERT, UPDATE, DELETE on the tables and EXECUTE on the
 * relay function (PostgreSQL 15 no longer lets every role CREATE in schema public) must be able
 * to run `await setupSchema(pool)` at startup once an administrator set the tables up; where
 * something is missing it gets a LockError saying which privilege it lacks and what to do.
 */
const role = `sg_app_${randomBytes(5).toString("hex")}`;
const password = randomBytes(12).toString("hex");
const ready = freshSchema("granted"); // set up by the administrator, then granted
const empty = freshSchema("empty"); // exists, the app role may use it but create nothing there
const absent = freshSchema("absent"); // never created

let admin: Pool;
const ends: (() => Promise<unknown>)[] = [];

/** The test server's URL, logged in as the application role. */
function appUrl(): string {
  const url = new URL(postgresUrl());
  url.username = role;
  url.password = password;
  return url.toString();
}

function appPool(): Pool {
  const pool = new Pool({ connectionString: appUrl(), max: 4 });
  pool.on("error", () => {});
  ends.push(() => pool.end());
  return pool;
}

/** What a DML-only role gets on a schema set up by someone else. */
async function grantDml(schema: string) {
  await admin.query(`GRANT USAGE ON SCHEMA "${schema}" TO ${role}`);
  await admin.query(
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "${schema}" TO ${role}`,
  );
  const relay = `"${schema}".syncguard_relay(text, bytea, bigint, text)`;
  await admin.query(`REVOKE EXECUTE ON FUNCTION ${relay} FROM PUBLIC`);
  await admin.query(`GRANT EXECUTE ON FUNCTION ${relay} TO ${role}`);
}

beforeAll(async () => {
  admin = newPool();
  await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
  await setupSchema(admin, { schema: ready });
  await grantDml(ready);
  await admin.query(`CREATE SCHEMA "${empty}"`);
  await admin.query(`GRANT USAGE ON SCHEMA "${empty}" TO ${role}`);
});

afterAll(async () => {
  for (const end of ends) await end().catch(() => {});
  for (const schema of [ready, empty, absent]) {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  }
  await admin.query(`DROP OWNED BY ${role}`);
  await admin.query(`DROP ROLE ${role}`);
  await admin.end();
});

/** The privileges the role holds on the database and schema: the role has no CREATE anywhere. */
it("the application role can create nothing (the premise of these tests)", async () => {
  const r = await admin.query(
    `SELECT has_database_privilege($1, current_database(), 'CREATE') AS on_database,
            has_schema_privilege($1, $2, 'CREATE') AS on_ready,
            has_schema_privilege($1, $3, 'CREATE') AS on_empty`,
    [role, ready, empty],
  );
  expect(r.rows[0]).toEqual({ on_database: false, on_ready: false, on_empty: false });
});

describe.each<[string, () => Promise<{ client: PgClientLike }>]>([
  ["a pg.Pool", async () => ({ client: appPool() })],
  [
    "a pg.Client",
    async () => {
      const client = new Client({ connectionString: appUrl() });
      client.on("error", () => {});
      await client.connect();
      ends.push(() => client.end());
      return { client };
    },
  ],
  [
    "postgres.js",
    async () => {
      const sql = postgres(appUrl(), { max: 4, onnotice: () => {} });
      ends.push(() => sql.end());
      return { client: sql };
    },
  ],
])("a DML-only role on %s", (_kind, connect) => {
  let client: PgClientLike;
  beforeAll(async () => {
    ({ client } = await connect());
  });

  it("after an administrator ran setupSchema, its own setupSchema succeeds and locking works, waiters and hand-off included", async () => {
    await setupSchema(client, { schema: ready });
    const lock = createLock(client, { schema: ready });
    try {
      const key = uniqueKey("dml");
      let inside = 0;
      let overlapped = false;
      const fences = await Promise.all(
        [1, 2, 3].map(() =>
          lock(
            async ({ fence }) => {
              inside++;
              if (inside > 1) overlapped = true;
              await new Promise((resolve) => setTimeout(resolve, 20)); // the work
              inside--;
              return fence;
            },
            { key, timeoutMs: 20_000 },
          ),
        ),
      );
      expect(overlapped).toBe(false);
      expect(new Set(fences).size).toBe(3);
    } finally {
      await lock.close();
    }
  });

  it("where the tables are missing, setupSchema fails with AuthFailed naming the missing CREATE and the admin's way out", async () => {
    const error = await setupSchema(client, { schema: empty }).catch((e: unknown) => e);
    expect(isLockError(error, "AuthFailed")).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain(`role "${role}"`);
    expect(message).toContain(`CREATE on schema "${empty}"`);
    expect(message).toMatch(/schemaSql\(\)/);
    expect(message).toContain("@syncguard/postgres/migrations/004_permit_queue.sql");
    expect((error as Error).cause).toMatchObject({ code: "42501" });
    const tables = await admin.query(
      "SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1",
      [empty],
    );
    expect(tables.rows[0].n).toBe(0);
  });

  it("where the schema does not exist, setupSchema fails with AuthFailed naming the missing CREATE on the database", async () => {
    const error = await setupSchema(client, { schema: absent }).catch((e: unknown) => e);
    expect(isLockError(error, "AuthFailed")).toBe(true);
    expect((error as Error).message).toMatch(/CREATE on database "[^"]+" \(to create schema/);
    expect((error as Error).message).toMatch(/schemaSql\(\)/);
  });
});

it("an outdated relay function is found: the app role is told it must own it, and an administrator's setupSchema brings it back", async () => {
  const schema = freshSchema("outdated");
  try {
    await setupSchema(admin, { schema });
    await grantDml(schema);
    await admin.query(
      `CREATE OR REPLACE FUNCTION "${schema}".syncguard_relay(released text, released_key bytea, released_fence bigint, channel text)
       RETURNS text LANGUAGE sql AS $$ SELECT 'an older text' $$`,
    );
    const pool = appPool();
    const error = await setupSchema(pool, { schema }).catch((e: unknown) => e);
    expect(isLockError(error, "AuthFailed")).toBe(true);
    expect((error as Error).message).toMatch(/ownership of .*syncguard_relay\(\)/);
    await setupSchema(admin, { schema });
    await setupSchema(pool, { schema });
    const backend = createPostgresBackend(pool, { schema });
    const held = await backend.acquire({ key: uniqueKey("outdated"), ttlMs: 10_000 });
    expect(held.ok).toBe(true);
    await backend.close();
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  }
});

it("a setupSchema on a pool that was ended is a LockError, not a raw client error", async () => {
  const pool = newPool();
  await pool.end();
  const error = await setupSchema(pool, { schema: ready }).catch((e: unknown) => e);
  expect(isLockError(error, "ServiceUnavailable")).toBe(true);
  expect((error as Error).message).toMatch(/setupSchema/);
});

it("setupSchema refuses what is not a client before any I/O, naming node-postgres and postgres.js", async () => {
  const error = await setupSchema({} as PgClientLike).catch((e: unknown) => e);
  expect(isLockError(error, "InvalidArgument")).toBe(true);
  expect((error as Error).message).toMatch(/node-postgres.*postgres\.js/);
});
