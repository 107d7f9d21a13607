/**
 * The PostgreSQL wait queue under faults, on a private server. A waiter at the head of the queue
 * whose process is killed (SIGKILL: it never withdraws) costs the waiter behind it one hand-off
 * window, not the dead one's whole wait. The queue lives in the tables: killed and restarted with
 * waiters queued, the server serves them in arrival order after a release.
 */
import { createLock, type LockBackend } from "@syncguard/core";
import { createPostgresBackend, setupSchema } from "@syncguard/postgres";
import { Pool } from "pg";
import { fileWatch, sweepLeaks } from "../harness/leak-sweep";
import { createLedger } from "../harness/ledger";
import { concludeScenario } from "../harness/scenario";
import { type PrivateServer, ServiceHost } from "../harness/services";
import { killAllWorkers, spawnWorker } from "../harness/supervisor";
import { monoMs, pollUntil, settleWithin } from "../harness/timing";

/** The backend's hand-off window (see the postgres spec, §6). */
const HANDOFF_WINDOW_MS = 250;
/** Scheduling on a shared machine: a wake-up, a statement and a timer, with room to spare. */
const SLACK_MS = 1_500;
/** The retry delay the waiters sleep when nobody wakes them: anything sooner is a wake-up. */
const SLEEP_MS = 30_000;

let host: ServiceHost;
let server: PrivateServer;
let pool: Pool;
const backends: (LockBackend & { close(): Promise<void> })[] = [];

function backend() {
  const made = createPostgresBackend(pool, { operationTimeoutMs: 2_000 });
  fileWatch().watchBackend(made);
  backends.push(made);
  return made;
}

const queued = async (key: string) =>
  Number(
    (await pool.query("SELECT count(*) AS n FROM syncguard_queue WHERE name = $1", [key])).rows[0]
      .n,
  );

beforeAll(async () => {
  host = await ServiceHost.start();
  server = await host.postgres();
  pool = new Pool({ connectionString: server.address, max: 8 });
  pool.on("error", () => {}); // idle clients of a killed server report here; the pool drops them
  await setupSchema(pool);
  fileWatch().noteSecret(decodeURIComponent(new URL(server.address).password));
});
afterAll(async () => {
  await killAllWorkers();
  await Promise.all(backends.map((b) => b.close()));
  await pool?.end();
  await host?.close();
});

/** A lock() waiter that sleeps SLEEP_MS between attempts unless woken. */
function patientWaiter(on: LockBackend, key: string, onEntered: () => void) {
  let refused = 0;
  const running = createLock(on)(
    () => {
      onEntered();
      return monoMs();
    },
    {
      key,
      timeoutMs: 60_000,
      retryDelayMs: SLEEP_MS,
      maxRetryDelayMs: SLEEP_MS,
      jitter: "none",
      onEvent: (event) => {
        if (event.type === "contended") refused++;
      },
    },
  );
  running.catch(() => {}); // awaited by the test
  return { running, refused: () => refused };
}

describe("postgres wait queue under faults", () => {
  it("a queued waiter killed at the head of the queue costs the next one a hand-off window", async () => {
    const key = "queue:dead-head";
    const ledger = createLedger("pg-dead-head");
    const holder = backend();
    const held = await holder.acquire({ key, ttlMs: 60_000 });
    if (!held.ok) throw new Error("expected to acquire");
    const doomed = await spawnWorker({
      script: "section-worker.js",
      config: { backend: { kind: "postgres", postgresUrl: server.address }, ledger: ledger.file },
      ledger,
      label: "doomed",
    });
    try {
      doomed.send({
        type: "lock",
        id: "d",
        key,
        options: { timeoutMs: 60_000, retryDelayMs: SLEEP_MS, maxRetryDelayMs: SLEEP_MS },
        hold: "until-finish",
      });
      await pollUntil("the doomed waiter queues", async () =>
        (await queued(key)) === 1 ? true : undefined,
      );
      let enteredAt = 0;
      const next = patientWaiter(backend(), key, () => {
        enteredAt = monoMs();
      });
      await pollUntil("the next waiter queues behind it", async () =>
        (await queued(key)) === 2 && next.refused() >= 2 ? true : undefined,
      );
      await doomed.kill("SIGKILL");
      const releasedAt = monoMs();
      expect(await holder.release({ lockId: held.lockId })).toEqual({ ok: true });
      const ran = await settleWithin(next.running, 15_000);
      const waitedMs = enteredAt - releasedAt;
      concludeScenario(
        {
          scenario: "postgres-dead-head",
          backend: "postgres",
          faults: 1,
          ops: 1,
          extra: { waitedMs: Math.round(waitedMs), windowMs: HANDOFF_WINDOW_MS },
        },
        ledger.read(),
      );
      expect(ran.settled && ran.ok).toBe(true);
      // The key was kept for the dead waiter for one window, then the next one was woken: not
      // after its 30 s sleep, nor after the dead one's 60 s wait.
      expect(waitedMs).toBeLessThan(HANDOFF_WINDOW_MS + SLACK_MS);
    } finally {
      await killAllWorkers();
      ledger.dispose();
    }
  });

  it("killed and restarted with waiters queued: a release afterwards serves them in arrival order", async () => {
    const key = "queue:restart";
    const holder = backend();
    const held = await holder.acquire({ key, ttlMs: 60_000 });
    if (!held.ok) throw new Error("expected to acquire");
    const order: string[] = [];
    const waiters = [];
    for (const name of ["first", "second", "third"]) {
      const waiter = patientWaiter(backend(), key, () => order.push(name));
      await pollUntil(`${name} waits`, () => (waiter.refused() >= 2 ? true : undefined));
      waiters.push(waiter);
    }
    expect(await queued(key)).toBe(3);
    await server.kill();
    await server.restart();
    await pollUntil("release after restart", async () => {
      const done = await holder.release({ lockId: held.lockId }).catch(() => undefined);
      return done?.ok ? true : undefined;
    });
    const settled = await Promise.all(waiters.map((w) => settleWithin(w.running, 20_000)));
    concludeScenario(
      {
        scenario: "postgres-queue-restart",
        backend: "postgres",
        faults: 1,
        ops: order.length,
        extra: { order: order.join(",") },
      },
      { intervals: [], overlaps: [], fenceRegressions: [], unclosed: [] },
    );
    expect(settled.every((s) => s.settled && s.ok)).toBe(true);
    expect(order).toEqual(["first", "second", "third"]);
  });
});

sweepLeaks();
