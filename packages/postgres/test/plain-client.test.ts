import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { isLockError, createLock as lockOn } from "@syncguard/core";
import { keyTag } from "@syncguard/core/driver";
import { Client, type Pool } from "pg";
import { createLock, createPostgresBackend, type PostgresBackend, setupSchema } from "../src";
import { routeOfTag } from "../src/storage";
import { postgresUrl, uniqueKey, useSchema, waitFor } from "./helpers";

/**
 * A connected pg.Client shared by the backend's statements (and its LISTEN): pg 8 queues
 * overlapping `query()` calls but warns that this is deprecated (pg 9 will refuse them), so the
 * backend sends one statement at a time on it, in order. The tests count overlapping calls on a
 * real client; the script in fixtures/ checks the warning itself.
 */
let pool: Pool;
let schema: string;
useSchema("plain", (created, name) => {
  pool = created;
  schema = name;
});

/** A real pg.Client that records what was asked of it and how many calls overlapped. */
class WatchedClient extends Client {
  inFlight = 0;
  most = 0;
  readonly texts: string[] = [];

  // pg's overloads cannot be restated here: every form goes to the original.
  // biome-ignore lint/suspicious/noExplicitAny: the original's overloads take any of these
  override query(...args: any[]): any {
    const [first] = args;
    this.texts.push(typeof first === "string" ? first : String(first?.text));
    this.inFlight++;
    this.most = Math.max(this.most, this.inFlight);
    const result = (Client.prototype.query as (...a: unknown[]) => unknown).apply(this, args);
    const settled = () => {
      this.inFlight--;
    };
    if (result instanceof Promise) result.then(settled, settled);
    return result;
  }
}

const clients: Client[] = [];
const backends: PostgresBackend[] = [];
async function connected(): Promise<WatchedClient> {
  const client = new WatchedClient({ connectionString: postgresUrl() });
  client.on("error", () => {});
  await client.connect();
  clients.push(client);
  return client;
}
afterAll(async () => {
  await Promise.all(backends.map((b) => b.close()));
  await Promise.all(clients.map((c) => c.end().catch(() => {})));
});

const run = promisify(execFile);

it("a script with concurrent lock() calls on one pg.Client, statements and LISTEN, gets no deprecation warning", async () => {
  // In its own process: process warnings are the real process's, which jest's sandbox never sees.
  const otherPrefix = "script_";
  await setupSchema(pool, { schema, tablePrefix: otherPrefix });
  const { stdout } = await run(process.execPath, [join(__dirname, "fixtures", "plain-client.js")], {
    env: {
      ...process.env,
      SYNCGUARD_POSTGRES_URL: postgresUrl(),
      SYNCGUARD_PG_SCHEMA: schema,
      SYNCGUARD_PG_OTHER_PREFIX: otherPrefix,
    },
    timeout: 30_000,
  });
  const { warnings, results, overlapped } = JSON.parse(stdout);
  expect(warnings).toEqual([]);
  expect(results).toEqual(["0:1", "0:2", "0:3", "1:1", "1:2", "1:3"]);
  expect(overlapped).toBe(false);
});

it("three concurrent lock() calls on one key through one pg.Client: one statement at a time, no overlap", async () => {
  const client = await connected();
  const lock = createLock(client, { schema });
  const key = uniqueKey("three");
  let inside = 0;
  let overlapped = false;
  const results = await Promise.all(
    [1, 2, 3].map((i) =>
      lock(
        async () => {
          inside++;
          if (inside > 1) overlapped = true;
          await new Promise((resolve) => setTimeout(resolve, 20)); // the work
          inside--;
          return i;
        },
        { key, timeoutMs: 20_000 },
      ),
    ),
  );
  expect(results).toEqual([1, 2, 3]);
  expect(overlapped).toBe(false);
  expect(client.most).toBe(1);
});

it("two backends of different tables with waiters on one pg.Client: LISTEN and UNLISTEN take their turn with the statements", async () => {
  const client = await connected();
  const otherPrefix = "other_";
  await setupSchema(pool, { schema, tablePrefix: otherPrefix });
  const mine = createPostgresBackend(client, { schema });
  const other = createPostgresBackend(client, { schema, tablePrefix: otherPrefix });
  backends.push(mine, other);
  const keys = [uniqueKey("listen-a"), uniqueKey("listen-b")];
  // Each key held, then several waiters on it: they subscribe (LISTEN) while others run statements.
  const held = await Promise.all([
    mine.acquire({ key: keys[0] as string, ttlMs: 30_000 }),
    other.acquire({ key: keys[1] as string, ttlMs: 30_000 }),
  ]);
  const waiting = [mine, other].flatMap((backend, b) =>
    [1, 2, 3].map((i) =>
      // Polls only every 20 s: the waiters finish by wake-ups, heard on this client.
      lockOn(backend)(() => i, {
        key: keys[b] as string,
        timeoutMs: 30_000,
        retryDelayMs: 20_000,
        maxRetryDelayMs: 20_000,
        jitter: "none",
      }),
    ),
  );
  // Both channels listened on the client (pg_listening_channels() only answers for its caller).
  await waitFor(() => client.texts.filter((t) => t.startsWith("LISTEN")).length === 2);
  for (const [i, backend] of [mine, other].entries()) {
    const lock = held[i];
    if (!lock?.ok) throw new Error("expected to acquire");
    await backend.release({ lockId: lock.lockId });
  }
  expect((await Promise.all(waiting)).sort()).toEqual([1, 1, 2, 2, 3, 3]);
  // A second after the last waiter left, both channels are unlistened on the same client.
  await waitFor(() => client.texts.filter((t) => t.startsWith("UNLISTEN")).length === 2, 5_000);
  await waitFor(() => client.inFlight === 0, 5_000);
  expect(client.most).toBe(1);
});

it("a statement stuck on the server holds the Client: one queued behind it and given up on is never sent, and the stuck one is not cancelled", async () => {
  const client = await connected();
  const backend = createPostgresBackend(client, { schema, operationTimeoutMs: 500 });
  backends.push(backend);
  const key = uniqueKey("stuck");
  const first = await backend.acquire({ key, ttlMs: 30_000 });
  if (!first.ok) throw new Error("expected to acquire");
  await backend.release({ lockId: first.lockId });
  // Another session holds the key's fence counter row: the next acquire waits on the server.
  const blocker = new Client({ connectionString: postgresUrl() });
  await blocker.connect();
  try {
    await blocker.query("BEGIN");
    await blocker.query(`SELECT 1 FROM "${schema}".syncguard_fences WHERE route = $1 FOR UPDATE`, [
      routeOfTag(keyTag(key)),
    ]);
    const stuck = backend.acquire({ key, ttlMs: 30_000 }).catch((e: unknown) => e);
    const blockedPid = async () => {
      const r = await pool.query(
        "SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'",
        [(client as unknown as { processID: number }).processID],
      );
      return r.rowCount === 1;
    };
    await waitFor(blockedPid, 5_000);
    const other = uniqueKey("queued");
    const queued = backend.isLocked({ key: other }).catch((e: unknown) => e);
    // The acquire was sent and may commit later; the read never left the backend.
    expect(isLockError(await stuck, "NetworkTimeout")).toBe(true);
    const read = await queued;
    expect(isLockError(read, "ServiceUnavailable")).toBe(true);
    expect((read as Error).message).toMatch(/no statement was sent/);
    expect(client.texts.filter((t) => t.includes("syncguard_locks")).length).toBe(3);
    // No cancel request on a shared plain Client: the acquire still waits on the server.
    expect(await blockedPid()).toBe(true);
  } finally {
    await blocker.query("COMMIT");
    await blocker.end();
  }
  // Once it ended, the Client is free again, and the lock the late acquire took is visible.
  await waitFor(() => backend.isLocked({ key }), 5_000);
  expect(client.most).toBe(1);
});
