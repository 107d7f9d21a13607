/**
 * PostgreSQL outages on a private server: frozen (SIGSTOP to the postmaster and every backend:
 * sockets open, nothing answers) and killed (SIGKILL), then brought back. Against a frozen
 * server lock() settles by its timeoutMs and backend calls by operationTimeoutMs, with a transient
 * error; against a dead one at once. Back up, the same backend locks again, nothing is left held
 * past its lease, and fences keep increasing across the crash (the counters are in the tables).
 * Killed and restarted under subscribed backends, the listening connection comes back by itself
 * (node-postgres and postgres.js): a release afterwards wakes a waiter long before it would poll.
 */
import { createLock, type LockBackend } from "@syncguard/core";
import { createPostgresBackend, setupSchema } from "@syncguard/postgres";
import { Pool } from "pg";
import postgres from "postgres";
import { describeError, lockErrorCodes } from "../harness/errors";
import { fileWatch, sweepLeaks } from "../harness/leak-sweep";
import { type PrivateServer, ServiceHost } from "../harness/services";
import { recordSummary } from "../harness/summary";
import { monoMs, pollUntil, settleWithin } from "../harness/timing";

const TIMEOUT_MS = 1000;
const OPERATION_TIMEOUT_MS = 500;
/** Issue 13's bound for settling after a deadline. */
const SETTLE_SLACK_MS = 100;
const TTL_MS = 2000;
const TRANSIENT = ["ServiceUnavailable", "NetworkTimeout", "AcquisitionTimeout"];

let host: ServiceHost;
let server: PrivateServer;
let pool: Pool;
let backend: LockBackend & { close(): Promise<void> };

beforeAll(async () => {
  host = await ServiceHost.start();
  server = await host.postgres();
  pool = new Pool({ connectionString: server.address, max: 4 });
  pool.on("error", () => {}); // idle clients of a killed server report here; the pool drops them
  await setupSchema(pool);
  backend = createPostgresBackend(pool, { operationTimeoutMs: OPERATION_TIMEOUT_MS });
  // Its errors, logs and events must show neither a lockId nor the connection's password.
  fileWatch().noteSecret(decodeURIComponent(new URL(server.address).password));
  fileWatch().watchBackend(backend);
});
afterAll(async () => {
  await server?.signal("SIGCONT").catch(() => {});
  await backend?.close();
  await pool?.end();
  await host?.close();
});

function transientProblem(
  what: string,
  run: Awaited<ReturnType<typeof settleWithin>>,
  boundMs: number,
) {
  if (!run.settled) return `${what}: still pending at ${run.ms} ms`;
  if (run.ok) return `${what}: resolved against a server that is down`;
  if (!lockErrorCodes(run.error).some((code) => TRANSIENT.includes(code))) {
    return `${what}: unexpected error ${describeError(run.error)}`;
  }
  if (run.ms > boundMs + SETTLE_SLACK_MS)
    return `${what}: settled at ${run.ms} ms (bound ${boundMs})`;
  return undefined;
}

describe("postgres outages", () => {
  it("frozen: acquire ends by operationTimeoutMs, lock() by its timeoutMs; thawed, nothing stays held", async () => {
    const problems: string[] = [];
    const keys = { acquire: "frozen:acquire", lock: "frozen:lock" };
    let fnRuns = 0;
    await server.signal("SIGSTOP");
    try {
      const start = monoMs();
      const [acquired, locked] = await Promise.all([
        settleWithin(backend.acquire({ key: keys.acquire, ttlMs: TTL_MS }), 5000, start),
        settleWithin(
          fileWatch().watchLock(createLock(backend, fileWatch().observers))(() => void fnRuns++, {
            key: keys.lock,
            ttlMs: TTL_MS,
            timeoutMs: TIMEOUT_MS,
          }),
          5000,
          start,
        ),
      ]);
      for (const problem of [
        transientProblem("acquire", acquired, OPERATION_TIMEOUT_MS),
        transientProblem("lock()", locked, TIMEOUT_MS),
      ]) {
        if (problem) problems.push(problem);
      }
    } finally {
      await server.signal("SIGCONT");
    }
    // Statements the server received while frozen run now; their locks must not outlive the TTL.
    await pollUntil(
      "both keys free after SIGCONT",
      async () => {
        const held = await Promise.all(Object.values(keys).map((key) => backend.isLocked({ key })));
        return held.every((h) => !h) ? true : undefined;
      },
      { deadlineMs: TTL_MS + 1000 + 2000, intervalMs: 50 },
    );
    if (fnRuns !== 0) problems.push(`fn ran ${fnRuns} time(s) for a lock() that gave up`);
    recordSummary({
      scenario: "postgres-frozen",
      backend: "postgres",
      faults: 1,
      ops: 2,
      overlaps: 0,
      fenceRegressions: 0,
    });
    expect(problems).toEqual([]);
  });

  it("killed: calls fail fast with a transient error; restarted, the backend locks again with higher fences", async () => {
    const key = "killed:key";
    const before = await backend.acquire({ key, ttlMs: 30_000 });
    if (!before.ok) throw new Error("expected to acquire");
    await backend.release({ lockId: before.lockId });

    await server.kill();
    const start = monoMs();
    const down = await settleWithin(backend.acquire({ key, ttlMs: 30_000 }), 5000, start);
    const problem = transientProblem("acquire on a dead server", down, OPERATION_TIMEOUT_MS);

    await server.restart();
    const after = await pollUntil("acquire after restart", async () => {
      const got = await backend.acquire({ key, ttlMs: 30_000 });
      return got.ok ? got : undefined;
    });
    recordSummary({
      scenario: "postgres-killed",
      backend: "postgres",
      faults: 1,
      ops: 3,
      overlaps: 0,
      fenceRegressions: after.fence > before.fence ? 0 : 1,
    });
    expect(problem).toBeUndefined();
    expect(after.fence > before.fence).toBe(true);
    await backend.release({ lockId: after.lockId });
  });

  it("killed and restarted while waiters wait: the listener comes back, a release afterwards wakes them (pg and postgres.js)", async () => {
    const sql = postgres(server.address, { max: 4, onnotice: () => {} });
    const clients = { pg: pool, "postgres.js": sql } as const;
    const problems: string[] = [];
    const made = Object.entries(clients).map(([name, client]) => ({
      name,
      key: `relisten:${name}`,
      backend: createPostgresBackend(client, { operationTimeoutMs: OPERATION_TIMEOUT_MS }),
    }));
    try {
      const waiters = await Promise.all(
        made.map(async ({ name, key, backend: b }) => {
          const held = await b.acquire({ key, ttlMs: 60_000 });
          if (!held.ok) throw new Error(`${name}: expected to acquire`);
          // The waiter polls again only after 20 s: anything sooner is a wake-up.
          let refused = 0;
          const waiting = createLock(b)(() => "woken", {
            key,
            timeoutMs: 40_000,
            retryDelayMs: 20_000,
            maxRetryDelayMs: 20_000,
            jitter: "none",
            onEvent: (event) => {
              if (event.type === "contended") refused++;
            },
          });
          waiting.catch(() => {}); // awaited below
          // Turned away, subscribed, turned away again: now it sleeps.
          await pollUntil(`${name}: the waiter waits`, () => (refused >= 2 ? true : undefined));
          return { name, backend: b, held, waiting };
        }),
      );
      await server.kill();
      await server.restart();
      for (const { name, backend: b, held, waiting } of waiters) {
        // The lock survived the crash (the tables are on disk); the release may need the server
        // to finish starting.
        await pollUntil(`${name}: release after restart`, async () => {
          const done = await b.release({ lockId: held.lockId }).catch(() => undefined);
          return done?.ok ? true : undefined;
        });
        const woken = await settleWithin(waiting, 15_000);
        if (!woken.settled || !woken.ok) {
          problems.push(`${name}: the waiter was not woken within 15 s of the release`);
        }
      }
    } finally {
      await Promise.all(made.map(({ backend: b }) => b.close()));
      await sql.end();
    }
    recordSummary({
      scenario: "postgres-relisten",
      backend: "postgres",
      faults: 1,
      ops: made.length,
      overlaps: 0,
      fenceRegressions: 0,
    });
    expect(problems).toEqual([]);
  });
});

sweepLeaks();
