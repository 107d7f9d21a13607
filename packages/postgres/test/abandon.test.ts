import { createLock, isLockError } from "@syncguard/core";
import { keyTag } from "@syncguard/core/driver";
import { Client, Pool } from "pg";
import { createPostgresBackend, type PgClientLike, type PostgresBackend } from "../src";
import { routeOfTag, rowName } from "../src/storage";
import { clientKinds, uniqueKey, useSchema, waitFor } from "./helpers";

/**
 * Issue 25, item 2: a statement the backend gives up on (operationTimeoutMs, the caller's
 * deadline, the caller's signal) must not commit later behind the caller's back. The fence
 * counter row of the key's route (or its lock row) is held by another transaction with FOR UPDATE, so the statement
 * waits on the server; the caller gives up; then the blocker commits.
 */
let pool: Pool;
let schema: string;
useSchema("abandon", (created, name) => {
  pool = created;
  schema = name;
});

/** The key's row in a table: the lock row by name, the counter by the key's route. */
interface KeyRow {
  table: string;
  where: string;
  of: (key: string) => string | number;
}
const fences = (): KeyRow => ({
  table: `"${schema}".syncguard_fences`,
  where: "route = $1",
  of: (key: string) => routeOfTag(keyTag(key)),
});
const locks = (): KeyRow => ({
  table: `"${schema}".syncguard_locks`,
  where: "name = $1",
  of: (key: string) => rowName(key),
});

/** Statements of this file's schema running on the server, apart from the blocker's. */
async function running(blocker: Client): Promise<{ waiting: number; active: number }> {
  const r = await pool.query(
    `SELECT count(*) FILTER (WHERE wait_event_type = 'Lock')::int AS waiting,
            count(*)::int AS active
     FROM pg_stat_activity
     WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid() AND pid <> $2`,
    [`%"${schema}"%`, (blocker as unknown as { processID: number }).processID],
  );
  return r.rows[0];
}

/** A transaction holding the key's row of a table with FOR UPDATE until `commit()`. */
async function holdRow(row: KeyRow, key: string) {
  const blocker = new Client({ connectionString: process.env.SYNCGUARD_POSTGRES_URL });
  await blocker.connect();
  await blocker.query("BEGIN");
  const held = await blocker.query(`SELECT 1 FROM ${row.table} WHERE ${row.where} FOR UPDATE`, [
    row.of(key),
  ]);
  expect(held.rowCount).toBe(1);
  return {
    blocker,
    /** Resolves once a statement of ours waits behind the row lock. */
    waitedOn: () => waitFor(async () => (await running(blocker)).waiting > 0, 10_000),
    commit: async () => {
      await blocker.query("COMMIT");
      await blocker.end();
    },
  };
}

/** Makes the counter row of the key's route exist (acquire, then release). */
async function prime(backend: PostgresBackend, key: string): Promise<void> {
  const first = await backend.acquire({ key, ttlMs: 30_000 });
  if (!first.ok) throw new Error("expected to acquire");
  await backend.release({ lockId: first.lockId });
}

/** Nothing of ours runs on the server any more, and no lock row of the key is live. */
async function settledAndFree(backend: PostgresBackend, blocker: Client, key: string) {
  await waitFor(async () => {
    const { active } = await running(blocker);
    return active === 0 && (await backend.lookup({ key })) === null;
  }, 8_000);
  const rows = await pool.query(
    `SELECT 1 FROM ${locks().table} WHERE name = $1
     AND expires_at_ms + 1000 > floor(extract(epoch FROM clock_timestamp()) * 1000)`,
    [rowName(key)],
  );
  expect(rows.rowCount).toBe(0);
}

type GiveUp = "operationTimeoutMs" | "the caller's deadline" | "the caller's signal";

describe.each(clientKinds)("%s", (_kind, connect) => {
  let client: PgClientLike;
  let end: () => Promise<void>;
  const made: PostgresBackend[] = [];
  const backendWith = (operationTimeoutMs?: number) => {
    const backend = createPostgresBackend(client, {
      schema,
      ...(operationTimeoutMs ? { operationTimeoutMs } : {}),
    });
    made.push(backend);
    return backend;
  };
  beforeAll(async () => {
    ({ client, end } = await connect());
  });
  afterAll(async () => {
    await Promise.all(made.map((b) => b.close()));
    await end();
  });

  it.each<[GiveUp]>([["operationTimeoutMs"], ["the caller's deadline"], ["the caller's signal"]])(
    "an acquire given up by %s, with the counter row locked, leaves no lock behind once the blocker commits",
    async (by) => {
      const key = uniqueKey("abandoned-acquire");
      const backend = backendWith(
        by === "operationTimeoutMs" ? 300 : by === "the caller's deadline" ? 1_500 : undefined,
      );
      await prime(backend, key);
      const row = await holdRow(fences(), key);
      try {
        const controller = new AbortController();
        const gaveUp = createLock(backend)(() => "ran", {
          key,
          ttlMs: 30_000,
          timeoutMs:
            by === "the caller's signal" ? 20_000 : by === "operationTimeoutMs" ? 1_000 : 400,
          signal: controller.signal,
        }).catch((error: unknown) => error);
        await row.waitedOn();
        if (by === "the caller's signal") controller.abort();
        const error = await gaveUp;
        expect(isLockError(error)).toBe(true);
      } finally {
        await row.commit();
      }
      await settledAndFree(backend, row.blocker, key);
      // The next caller gets the key at once: no orphan to wait out.
      const next = await createLock(backendWith())(({ fence }) => fence, { key, timeoutMs: 2_000 });
      expect(next).toMatch(/^\d{15}$/);
    },
  );

  it.each([
    ["an acquire", "operationTimeoutMs"],
    ["an acquire", "signal"],
    ["an extend", "operationTimeoutMs"],
    ["an extend", "signal"],
    ["a release", "operationTimeoutMs"],
    ["a release", "signal"],
  ] as const)(
    "%s given up by its %s is cancelled on the server, not left waiting",
    async (what, by) => {
      const operation = what.split(" ")[1] as "acquire" | "extend" | "release";
      const key = uniqueKey(`cancelled-${operation}`);
      const backend = backendWith(by === "operationTimeoutMs" ? 300 : undefined);
      await prime(backend, key);
      const held = await backend.acquire({ key, ttlMs: 30_000 });
      if (!held.ok) throw new Error("expected to acquire");
      if (operation === "acquire") await backend.release({ lockId: held.lockId });
      const row = await holdRow(operation === "acquire" ? fences() : locks(), key);
      try {
        const controller = new AbortController();
        const { signal } = controller;
        const { lockId } = held;
        const call =
          operation === "acquire"
            ? backend.acquire({ key, ttlMs: 30_000, signal })
            : operation === "extend"
              ? backend.extend({ lockId, ttlMs: 30_000, signal })
              : backend.release({ lockId, signal });
        const error = call.catch((e: unknown) => e);
        if (by === "signal") {
          await row.waitedOn();
          controller.abort();
        }
        expect(isLockError(await error, by === "signal" ? "Aborted" : "NetworkTimeout")).toBe(true);
        // With the row still locked, nothing of ours may still wait on the server.
        await waitFor(async () => (await running(row.blocker)).active === 0, 5_000);
      } finally {
        await row.commit();
      }
      if (operation === "acquire") await settledAndFree(backend, row.blocker, key);
      else await backend.release({ lockId: held.lockId });
    },
  );

  it("a lock() given up by the caller's deadline has its statement cancelled by operationTimeoutMs", async () => {
    const key = uniqueKey("cancelled-late");
    const backend = backendWith(1_000);
    await prime(backend, key);
    const row = await holdRow(fences(), key);
    try {
      const error = await createLock(backend)(() => "ran", { key, timeoutMs: 300 }).catch(
        (e: unknown) => e,
      );
      expect(isLockError(error)).toBe(true);
      await waitFor(async () => (await running(row.blocker)).active === 0, 6_000);
    } finally {
      await row.commit();
    }
    await settledAndFree(backend, row.blocker, key);
  });
});

/** A node-postgres client that never learns its cancel key, so nothing can cancel its statements. */
class UncancellableClient extends Client {
  // pg assigns it in its constructor and at login: both are ignored.
  get processID(): null {
    return null;
  }
  set processID(_ignored: unknown) {}
}

it("pg: when a given-up acquire cannot be cancelled, its lockId is released only after it committed", async () => {
  const uncancellable = new Pool({
    connectionString: process.env.SYNCGUARD_POSTGRES_URL,
    Client: UncancellableClient,
  });
  const backend = createPostgresBackend(uncancellable, { schema, operationTimeoutMs: 300 });
  const key = uniqueKey("uncancellable");
  try {
    await prime(backend, key);
    const row = await holdRow(fences(), key);
    try {
      const error = await createLock(backend)(() => "ran", { key, timeoutMs: 700 }).catch(
        (e: unknown) => e,
      );
      expect(isLockError(error)).toBe(true);
      // Still waiting on the server: the release of its lockId must wait for it.
      expect((await running(row.blocker)).waiting).toBeGreaterThan(0);
    } finally {
      await row.commit();
    }
    await settledAndFree(backend, row.blocker, key);
  } finally {
    await backend.close();
    await uncancellable.end();
  }
});
