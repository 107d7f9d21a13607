import { join } from "node:path";
import { runConformance } from "@syncguard/conformance";
import { isLockError } from "@syncguard/core";
import postgres from "postgres";
import { createPostgresBackend, type PostgresBackend, setupSchema } from "../src";
import { connectionPassword, freshSchema, postgresUrl, uniqueKey, waitFor } from "./helpers";

/**
 * The same backend on postgres.js: the conformance suites that reach the client (statements,
 * results, errors, wake-ups, the wait queue), with the 16-process race; the SQL is the same as on
 * pg.
 */
const schema = freshSchema("pgjs");
let sql: postgres.Sql | undefined;
let backend: PostgresBackend | undefined;

runConformance({
  name: "postgres (postgres.js)",
  // Every message and event of the run is checked for the connection\'s password.
  secrets: [connectionPassword()],
  capabilities: {
    subscribe: true,
    list: true,
    readFence: true,
    waitQueue: true,
    semaphore: true,
    semaphoreOperators: true,
  },
  createBackend: async () => {
    sql = postgres(postgresUrl(), { max: 10, onnotice: () => {} });
    await setupSchema(sql, { schema });
    backend = createPostgresBackend(sql, { schema });
    return backend;
  },
  // Another process's backend: its own local waiters on the same tables.
  createPeerBackend: () => createPostgresBackend(sql as postgres.Sql, { schema }),
  teardown: async () => {
    await backend?.close();
    await sql?.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await sql?.end();
  },
  suites: [
    "acquire",
    "release",
    "extend",
    "isLocked",
    "lookup",
    "fencing",
    "keys",
    "lock",
    "lease",
    "wait",
    "inventory",
    "race",
    "semaphore",
    "election",
  ],
  worker: {
    modulePath: join(__dirname, "fixtures", "conformance-worker.js"),
    env: {
      SYNCGUARD_POSTGRES_URL: postgresUrl(),
      SYNCGUARD_PG_SCHEMA: schema,
      SYNCGUARD_PG_CLIENT: "postgres",
    },
  },
  // 16 processes, as on pg (issue 31 asks for both clients).
  race: { processes: 16, iterations: 10 },
});

describe("postgres.js specifics", () => {
  const own = freshSchema("pgjs_own");
  let js: postgres.Sql;
  beforeAll(async () => {
    js = postgres(postgresUrl(), { max: 4, onnotice: () => {} });
    await setupSchema(js, { schema: own });
  });
  afterAll(async () => {
    await js.unsafe(`DROP SCHEMA IF EXISTS "${own}" CASCADE`);
    await js.end();
  });

  it("setupSchema on tables that exist prints no notices", async () => {
    const notices: unknown[] = [];
    const noticing = postgres(postgresUrl(), { max: 1, onnotice: (n) => notices.push(n) });
    try {
      await setupSchema(noticing, { schema: own });
      await setupSchema(noticing, { schema: own });
      expect(notices).toEqual([]);
    } finally {
      await noticing.end();
    }
  });

  it("a release wakes a subscriber; when the listening connection breaks, postgres.js listens again and every subscriber is woken", async () => {
    const waiting = createPostgresBackend(js, { schema: own });
    const other = createPostgresBackend(js, { schema: own });
    const key = uniqueKey("js-wake");
    const held = await other.acquire({ key, ttlMs: 30_000 });
    if (!held.ok) throw new Error("expected to acquire");
    let calls = 0;
    const stop = await waiting.subscribe!(key, () => void calls++);
    // Turned away after subscribing: only a release that turned an attempt away is announced.
    expect((await waiting.acquire({ key, ttlMs: 30_000 })).ok).toBe(false);
    await other.release({ lockId: held.lockId });
    await waitFor(() => calls > 0);

    const before = calls;
    const ended = await js.unsafe(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE query ILIKE 'listen %syncguard_release_%' AND pid <> pg_backend_pid()`,
    );
    expect(ended.count).toBeGreaterThan(0);
    await waitFor(() => calls > before);
    // Listening again: a later release is heard too.
    const again = await other.acquire({ key, ttlMs: 30_000 });
    if (!again.ok) throw new Error("expected to acquire");
    const woken = calls;
    expect((await waiting.acquire({ key, ttlMs: 30_000 })).ok).toBe(false);
    await other.release({ lockId: again.lockId });
    await waitFor(() => calls > woken);
    stop();
    await Promise.all([waiting.close(), other.close()]);
  });

  it("a wrong password is AuthFailed and a missing table says to run setupSchema", async () => {
    const url = new URL(postgresUrl());
    url.password = "wrong";
    const bad = postgres(url.toString(), { max: 1, onnotice: () => {} });
    const denied = await createPostgresBackend(bad, { schema })
      .acquire({ key: "k", ttlMs: 1000 })
      .catch((e: unknown) => e);
    expect(isLockError(denied, "AuthFailed")).toBe(true);
    await bad.end();

    const plain = postgres(postgresUrl(), { max: 1, onnotice: () => {} });
    const missing = await createPostgresBackend(plain, { schema: freshSchema("nothing") })
      .isLocked({ key: uniqueKey("missing") })
      .catch((e: unknown) => e);
    expect(isLockError(missing, "InvalidArgument")).toBe(true);
    expect((missing as Error).message).toMatch(/Run setupSchema/);
    await plain.end();
  });
});
