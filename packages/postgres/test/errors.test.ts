import { createServer } from "node:net";
import { isLockError, type LockErrorCode } from "@syncguard/core";
import { keyTag } from "@syncguard/core/driver";
import { Pool } from "pg";
import { createPostgresBackend, type PostgresBackendOptions, setupSchema } from "../src";
import { routeOfTag } from "../src/storage";
import { freshSchema, newPool, postgresUrl, uniqueKey, waitFor } from "./helpers";

const schema = freshSchema("errors");
let admin: Pool;
beforeAll(async () => {
  admin = newPool();
  await setupSchema(admin, { schema });
});
afterAll(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
});

/** A pool on the test server with a changed URL or session settings. */
function poolWith(change: (url: URL) => void, options?: string): Pool {
  const url = new URL(postgresUrl());
  change(url);
  const pool = new Pool({
    connectionString: url.toString(),
    max: 4,
    ...(options ? { options } : {}),
  });
  pool.on("error", () => {});
  return pool;
}

async function expectCode(run: () => Promise<unknown>, code: LockErrorCode): Promise<Error> {
  const error = await run().then(
    () => new Error("expected a LockError"),
    (e: unknown) => e,
  );
  if (!isLockError(error, code)) throw error;
  expect(error.message).not.toBe("");
  return error;
}

/**
 * Holds the counter row of the key's route locked in an open transaction, so an acquire of the key
 * blocks inside its statement until `stop()`.
 */
async function blockAcquires(key: string): Promise<{ stop: () => Promise<void> }> {
  const holder = await admin.connect();
  await holder.query("BEGIN");
  await holder.query(
    `INSERT INTO "${schema}".syncguard_fences (route, fence) VALUES ($1, 0)
     ON CONFLICT (route) DO UPDATE SET fence = syncguard_fences.fence`,
    [routeOfTag(keyTag(key))],
  );
  return {
    stop: async () => {
      await holder.query("ROLLBACK");
      holder.release();
    },
  };
}

function backendOn(pool: Pool, options: PostgresBackendOptions = {}) {
  return createPostgresBackend(pool, { schema, notify: false, ...options });
}

it("a wrong password is AuthFailed", async () => {
  const pool = poolWith((url) => {
    url.password = "wrong";
  });
  await expectCode(() => backendOn(pool).acquire({ key: "k", ttlMs: 1000 }), "AuthFailed");
  await pool.end();
});

it("a refused connection is ServiceUnavailable", async () => {
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port: free } = server.address() as { port: number };
      server.close(() => resolve(free));
    });
  });
  const pool = poolWith((url) => {
    url.port = String(port);
  });
  const error = await expectCode(
    () => backendOn(pool).acquire({ key: "k", ttlMs: 1000 }),
    "ServiceUnavailable",
  );
  expect(error.message).toMatch(/nothing was written/);
  await pool.end();
});

it("a statement timeout is NetworkTimeout", async () => {
  const key = uniqueKey("stmt-timeout");
  const blocker = await blockAcquires(key);
  const pool = poolWith(() => {}, "-c statement_timeout=200");
  try {
    await expectCode(() => backendOn(pool).acquire({ key, ttlMs: 1000 }), "NetworkTimeout");
  } finally {
    await blocker.stop();
    await pool.end();
  }
});

it("a backend terminated by an administrator is ServiceUnavailable", async () => {
  const key = uniqueKey("terminated");
  const blocker = await blockAcquires(key);
  const pool = poolWith(() => {}, "-c application_name=sg_terminate_me");
  try {
    const pending = backendOn(pool).acquire({ key, ttlMs: 1000 });
    pending.catch(() => {});
    // Once the acquire waits on the counter row, end its session as an operator would.
    await waitFor(async () => {
      const found = await admin.query(
        `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
         WHERE application_name = 'sg_terminate_me' AND wait_event_type = 'Lock'`,
      );
      return found.rows.length > 0;
    });
    await expectCode(() => pending, "ServiceUnavailable");
  } finally {
    await blocker.stop();
    await pool.end();
  }
});

it("a statement past operationTimeoutMs is NetworkTimeout (it was sent: outcome unknown)", async () => {
  const key = uniqueKey("op-timeout");
  const blocker = await blockAcquires(key);
  const pool = poolWith(() => {});
  try {
    const error = await expectCode(
      () => backendOn(pool, { operationTimeoutMs: 200 }).acquire({ key, ttlMs: 1000 }),
      "NetworkTimeout",
    );
    expect(error.message).toMatch(/outcome is unknown/);
  } finally {
    await blocker.stop();
    await pool.end();
  }
});

it("serialization failures are retried: SERIALIZABLE sessions still get exactly one winner", async () => {
  const pool = poolWith(() => {}, "-c default_transaction_isolation=serializable");
  const backend = backendOn(pool);
  try {
    for (let round = 0; round < 3; round++) {
      const key = uniqueKey(`serializable-${round}`);
      const results = await Promise.all(
        Array.from({ length: 8 }, () => backend.acquire({ key, ttlMs: 30_000 })),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
    }
  } finally {
    await pool.end();
  }
});
