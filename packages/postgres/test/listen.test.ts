import { randomBytes } from "node:crypto";
import { isLockError, createLock as lockOn } from "@syncguard/core";
import { Pool } from "pg";
import postgres from "postgres";
import {
  createLock,
  createPostgresBackend,
  type PgClientLike,
  type PostgresBackend,
  setupSchema,
} from "../src";
import { postgresUrl, uniqueKey, useSchema, waitFor } from "./helpers";

/**
 * Issue 25, item 3: one listening connection per pool, shared by every backend on it, never
 * taking a connection statements need, listening again after any break.
 */
let pool: Pool;
let schema: string;
useSchema("listen", (created, name) => {
  pool = created;
  schema = name;
});

interface Tagged {
  client: PgClientLike;
  /** Every connection of this client carries it as application_name. */
  app: string;
  end: () => Promise<void>;
}

/** A client of either library whose connections are findable in pg_stat_activity. */
const kinds: [string, (max?: number) => Tagged][] = [
  [
    "pg",
    (max) => {
      const app = `sg_listen_${randomBytes(4).toString("hex")}`;
      const created = new Pool({
        connectionString: postgresUrl(),
        application_name: app,
        ...(max ? { max } : {}),
      });
      created.on("error", () => {});
      return { client: created, app, end: () => created.end() };
    },
  ],
  [
    "postgres.js",
    (max) => {
      const app = `sg_listen_${randomBytes(4).toString("hex")}`;
      const sql = postgres(postgresUrl(), {
        onnotice: () => {},
        connection: { application_name: app },
        ...(max ? { max } : {}),
      });
      return { client: sql, app, end: () => sql.end() };
    },
  ],
];

/** Server sessions of `app` whose last statement was a LISTEN. */
async function listeners(app: string): Promise<number[]> {
  const r = await pool.query(
    `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query ILIKE 'listen %'`,
    [app],
  );
  return r.rows.map((row) => row.pid as number);
}

describe.each(kinds)("%s", (_kind, connect) => {
  const opened: Tagged[] = [];
  const backends: PostgresBackend[] = [];
  const open = (max?: number) => {
    const tagged = connect(max);
    opened.push(tagged);
    return tagged;
  };
  const backendOn = (client: PgClientLike, tables = schema) => {
    const backend = createPostgresBackend(client, { schema: tables });
    backends.push(backend);
    return backend;
  };
  afterAll(async () => {
    await Promise.all(backends.map((b) => b.close()));
    await Promise.all(opened.map((o) => o.end().catch(() => {})));
  });

  it("after the listening connection is killed, the next release wakes the waiter by notification, not by its next poll", async () => {
    const { client, app } = open();
    const key = uniqueKey("relisten");
    const holder = backendOn(client);
    const held = await holder.acquire({ key, ttlMs: 60_000 });
    if (!held.ok) throw new Error("expected to acquire");
    // The waiter's next poll after its first wait is 20 s away: only a wake-up ends it sooner.
    const waiting = lockOn(backendOn(client))(() => "woken", {
      key,
      timeoutMs: 40_000,
      retryDelayMs: 20_000,
      maxRetryDelayMs: 20_000,
      jitter: "none",
    });
    await waitFor(async () => (await listeners(app)).length > 0);
    const killed = await pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE application_name = $1 AND query ILIKE 'listen %'`,
      [app],
    );
    expect(killed.rowCount).toBeGreaterThan(0);
    const releasedAt = performance.now();
    expect((await holder.release({ lockId: held.lockId })).ok).toBe(true);
    const outcome = await Promise.race([
      waiting,
      new Promise((resolve) => setTimeout(resolve, 10_000, "still waiting")),
    ]);
    expect(outcome).toBe("woken");
    expect(performance.now() - releasedAt).toBeLessThan(10_000);
    // Listening again, on one connection.
    await waitFor(async () => (await listeners(app)).length === 1);
  });

  it("with max: 1 the holder's release succeeds and the waiter gets the lock", async () => {
    const { client, app } = open(1);
    const key = uniqueKey("max1");
    const releaseErrors: unknown[] = [];
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const holding = createLock(client, { schema })(() => gate.then(() => "held"), {
      key,
      onReleaseError: (error) => releaseErrors.push(error),
    });
    const peek = backendOn(client);
    await waitFor(() => peek.isLocked({ key }));
    const waiting = createLock(client, { schema })(() => "waited", { key, timeoutMs: 20_000 });
    // The waiter is subscribed: it waits for a wake-up.
    await waitFor(async () => (await listeners(app)).length > 0);
    finish();
    expect(await holding).toBe("held");
    expect(releaseErrors).toEqual([]);
    expect(await waiting).toBe("waited");
  });

  it("12 createLock(pool) callers on one key, default pool: all finish, one LISTEN connection", async () => {
    const { client, app } = open();
    const key = uniqueKey("twelve");
    const errors: unknown[] = [];
    let most = 0;
    let running = true;
    const sampling = (async () => {
      while (running) {
        most = Math.max(most, (await listeners(app)).length);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        createLock(client, { schema })(
          async () => {
            await new Promise((resolve) => setTimeout(resolve, 10)); // the work
            return i;
          },
          { key, timeoutMs: 30_000, onReleaseError: (error) => errors.push(error) },
        ),
      ),
    );
    running = false;
    await sampling;
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    expect(errors).toEqual([]);
    expect(most).toBeLessThanOrEqual(1);
  });

  it("backends of several table sets on one client share one listening connection", async () => {
    const { client, app } = open();
    const other = `${schema}_b`;
    await setupSchema(pool, { schema: other });
    try {
      const stops = await Promise.all(
        [schema, other, schema, other].map((s, i) =>
          backendOn(client, s).subscribe!(uniqueKey(`share${i}`), () => {}),
        ),
      );
      expect((await listeners(app)).length).toBe(1);
      for (const stop of stops) stop();
    } finally {
      await pool.query(`DROP SCHEMA "${other}" CASCADE`);
    }
  });

  it("ending the client mid-wait, mid-listen and mid-release rejects cleanly and leaves no listener", async () => {
    const { client, app, end } = open();
    const key = uniqueKey("end");
    const holder = backendOn(pool); // holds the key from another pool
    const held = await holder.acquire({ key, ttlMs: 60_000 });
    if (!held.ok) throw new Error("expected to acquire");
    const mine = backendOn(client);
    const waiting = lockOn(mine)(() => "ran", { key, timeoutMs: 3_000, retryDelayMs: 200 }).catch(
      (e: unknown) => e,
    );
    await waitFor(async () => (await listeners(app)).length > 0);
    const own = await mine.acquire({ key: uniqueKey("end-own"), ttlMs: 60_000 });
    if (!own.ok) throw new Error("expected to acquire");
    const listening = backendOn(client).subscribe!(uniqueKey("end-listen"), () => {}).catch(
      (e: unknown) => e,
    );
    const releasing = mine.release({ lockId: own.lockId }).catch((e: unknown) => e);
    await end();
    const [waited, listened, released] = await Promise.all([waiting, listening, releasing]);
    expect(isLockError(waited)).toBe(true);
    for (const outcome of [listened, released]) {
      if (outcome instanceof Error) expect(isLockError(outcome)).toBe(true);
    }
    if (typeof listened === "function") listened();
    await waitFor(async () => (await listeners(app)).length === 0, 5_000);
    await holder.release({ lockId: held.lockId });
  });

  it("ending the client while its listening connection is being opened settles the watch and leaves no listener", async () => {
    const { client, app, end } = open();
    const backend = backendOn(client);
    const watching = backend.subscribe!(uniqueKey("end-opening"), () => {}).then(
      (stop) => stop,
      (e: unknown) => e,
    );
    await end();
    const outcome = await watching;
    if (typeof outcome === "function") outcome();
    else expect(isLockError(outcome)).toBe(true);
    await waitFor(async () => (await listeners(app)).length === 0, 5_000);
    // Whatever the listener was doing has finished: nothing is left to reject later.
    await waitFor(async () => {
      const r = await pool.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1",
        [app],
      );
      return r.rows[0].n === 0;
    }, 5_000);
  });
});

it("pg: a pool-like object without Client and options cannot listen: waiters poll, and the logger says so once", async () => {
  const warnings: string[] = [];
  const logger = { warn: (message: string) => warnings.push(message), error: () => {} };
  // What the backend needs of a pool for statements, and no more.
  const bare = {
    totalCount: 0,
    query: pool.query.bind(pool),
    connect: pool.connect.bind(pool),
  } as unknown as PgClientLike;
  const backend = createPostgresBackend(bare, { schema, logger });
  try {
    for (const key of [uniqueKey("bare-a"), uniqueKey("bare-b")]) {
      const refused = await backend.subscribe!(key, () => {}).catch((e: unknown) => e);
      expect(isLockError(refused, "ServiceUnavailable")).toBe(true);
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/Client class and options.*poll/);
    const key = uniqueKey("bare-poll");
    const held = await backend.acquire({ key, ttlMs: 30_000 });
    if (!held.ok) throw new Error("expected to acquire");
    const waiting = lockOn(backend)(() => "polled", { key, timeoutMs: 10_000, retryDelayMs: 20 });
    await backend.release({ lockId: held.lockId });
    expect(await waiting).toBe("polled");
  } finally {
    await backend.close();
  }
});
