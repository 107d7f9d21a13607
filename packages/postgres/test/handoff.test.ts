import { createLock } from "@syncguard/core";
import { generateLockId, keyTag, type LockDriver, type WaiterInfo } from "@syncguard/core/driver";
import {
  createPostgresBackend,
  type PgClientLike,
  type PostgresBackend,
  setupSchema,
} from "../src";
import { createPostgresDriver } from "../src/backend";
import { rowName } from "../src/storage";
import { HANDOFF_WINDOW_MS } from "../src/wait-queue";
import { clientKinds, freshSchema, newPool, uniqueKey, waitFor } from "./helpers";

// Fair hand-off between separate backends (as separate processes would be: each has its own
// local queue): waiters are queued in the database, a release reserves the key for the oldest
// and wakes only that one.
describe.each(clientKinds)("queued hand-off (%s)", (_kind, connect) => {
  const schema = freshSchema("handoff");
  const queue = `"${schema}".syncguard_queue`;
  const admin = newPool(2);
  const ends: (() => Promise<void>)[] = [];
  const backends: PostgresBackend[] = [];
  const drivers = new WeakMap<PostgresBackend, LockDriver>();
  /** A backend on a client of its own. */
  const newBackend = async () => {
    const { client, end } = await connect(4);
    ends.push(end);
    const backend = createPostgresBackend(client, { schema });
    drivers.set(backend, createPostgresDriver(client as PgClientLike, { schema }));
    backends.push(backend);
    return backend;
  };
  /** An attempt as core's engine makes it for a queued waiter (another process, say). */
  const attemptAsWaiter = (backend: PostgresBackend, key: string, waiter: WaiterInfo) => {
    const driver = drivers.get(backend);
    if (!driver) throw new Error("not a test backend");
    const lockId = generateLockId(key);
    return driver.acquire({ key, tag: keyTag(key), ttlMs: 5_000, lockId, waiter });
  };
  const queueSize = async (key: string) =>
    Number(
      (await admin.query(`SELECT count(*) AS n FROM ${queue} WHERE name = $1`, [rowName(key)]))
        .rows[0].n,
    );
  beforeAll(async () => {
    await setupSchema(admin, { schema });
  });
  afterAll(async () => {
    await Promise.all(backends.map((b) => b.close()));
    await Promise.all(ends.map((end) => end()));
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it("serves waiters from different clients in arrival order, waking one per release", async () => {
    const holder = await newBackend();
    const waiters = [await newBackend(), await newBackend(), await newBackend()];
    const key = uniqueKey("order");
    const held = await holder.acquire({ key, ttlMs: 20_000 });
    if (!held.ok) throw new Error("setup");
    const order: number[] = [];
    const attempts = [0, 0, 0];
    const running: Promise<unknown>[] = [];
    for (const [i, backend] of waiters.entries()) {
      running.push(
        createLock(backend)(
          async () => {
            order.push(i);
            await new Promise((r) => setTimeout(r, 20));
          },
          {
            key,
            retryDelayMs: 5_000,
            maxRetryDelayMs: 5_000,
            timeoutMs: 20_000,
            onEvent: (event) => {
              if (event.type === "contended" || event.type === "acquired")
                attempts[i] = (attempts[i] ?? 0) + 1;
            },
          },
        ),
      );
      // Each waiter is queued (first attempt + one after subscribing) before the next starts.
      await waitFor(() => (attempts[i] ?? 0) >= 2, 5_000, 2);
    }
    expect(await queueSize(key)).toBe(3);
    await holder.release({ lockId: held.lockId });
    await Promise.all(running);
    expect(order).toEqual([0, 1, 2]);
    // Two queued attempts before the release, then one winning attempt: nobody woke in vain.
    expect(attempts).toEqual([3, 3, 3]);
    expect(await queueSize(key)).toBe(0);
  });

  it("a fresh caller cannot take a key reserved for a queued waiter; the waiter can", async () => {
    const [holder, queued, latecomer] = [
      await newBackend(),
      await newBackend(),
      await newBackend(),
    ];
    const key = uniqueKey("reserved");
    const held = await holder.acquire({ key, ttlMs: 20_000 });
    if (!held.ok) throw new Error("setup");
    const waiter = { id: "queuedwaiter", timeoutMs: 10_000, budgetMs: 10_000 };
    expect(await attemptAsWaiter(queued, key, waiter)).toMatchObject({ acquired: false });
    expect(await holder.release({ lockId: held.lockId })).toEqual({ ok: true });
    const refused = await latecomer.acquire({ key, ttlMs: 5_000 });
    expect(refused).toMatchObject({ ok: false, reason: "locked" });
    expect(refused.ok ? 0 : refused.holder?.remainingMs).toBeLessThanOrEqual(HANDOFF_WINDOW_MS);
    // A reservation is not a lock: nobody reads it as held.
    expect(await latecomer.isLocked({ key })).toBe(false);
    expect(await latecomer.lookup({ key })).toBeNull();
    const got = await attemptAsWaiter(queued, key, waiter);
    expect(got).toMatchObject({ acquired: true });
    expect(await latecomer.isLocked({ key })).toBe(true);
    expect(await queueSize(key)).toBe(0);
  });

  it("a queued waiter leaves the queue when it takes an expired key (no hand-off)", async () => {
    const [holder, waiting] = [await newBackend(), await newBackend()];
    const key = uniqueKey("dequeue");
    // Held briefly and never released: the waiter gets in by expiry, not by a hand-off.
    if (!(await holder.acquire({ key, ttlMs: 100 })).ok) throw new Error("setup");
    const waiter = { id: "dequeuewaiter", timeoutMs: 10_000, budgetMs: 10_000 };
    // A first attempt on a key the backend does not watch queues nobody; core's next attempt
    // (after subscribing) does.
    const first = await attemptAsWaiter(waiting, key, { ...waiter, firstAttempt: true });
    expect(first).toMatchObject({ acquired: false });
    expect(await queueSize(key)).toBe(0);
    expect(await attemptAsWaiter(waiting, key, waiter)).toMatchObject({ acquired: false });
    expect(await queueSize(key)).toBe(1);
    await waitFor(async () => (await attemptAsWaiter(waiting, key, waiter)).acquired, 5_000);
    expect(await queueSize(key)).toBe(0);
  });

  it("a waiter that never comes back blocks the key for one hand-off window at most", async () => {
    const [holder, ghost, other] = [await newBackend(), await newBackend(), await newBackend()];
    const key = uniqueKey("ghost");
    const held = await holder.acquire({ key, ttlMs: 20_000 });
    if (!held.ok) throw new Error("setup");
    await attemptAsWaiter(ghost, key, { id: "ghost", timeoutMs: 30_000, budgetMs: 30_000 });
    await holder.release({ lockId: held.lockId });
    const started = performance.now();
    const ranAt = await createLock(other)(() => performance.now(), { key, retryDelayMs: 50 });
    expect(ranAt - started).toBeLessThan(HANDOFF_WINDOW_MS + 1_000);
  });

  it("a waiter behind a dead head is woken when the reservation lapses, not after its backoff", async () => {
    const [holder, ghost, sleeper] = [await newBackend(), await newBackend(), await newBackend()];
    const key = uniqueKey("dead-head");
    const held = await holder.acquire({ key, ttlMs: 20_000 });
    if (!held.ok) throw new Error("setup");
    // The head of the queue arrives first and then dies (it never attempts again).
    await attemptAsWaiter(ghost, key, { id: "deadhead", timeoutMs: 30_000, budgetMs: 30_000 });
    let attempts = 0;
    const running = createLock(sleeper)(() => performance.now(), {
      key,
      retryDelayMs: 5_000,
      maxRetryDelayMs: 5_000,
      timeoutMs: 20_000,
      onEvent: (event) => {
        if (event.type === "contended") attempts++;
      },
    });
    await waitFor(() => attempts >= 2, 5_000, 2); // queued behind the ghost, asleep for 5 s
    const releasedAt = performance.now();
    await holder.release({ lockId: held.lockId });
    const ranAt = await running;
    // One hand-off window for the dead head, then the backstop wake-up: not the 5 s backoff.
    expect(ranAt - releasedAt).toBeLessThan(HANDOFF_WINDOW_MS + 1_500);
  });

  it("serves waiters in arrival order, whatever their timeouts", async () => {
    const [holder, early, late] = [await newBackend(), await newBackend(), await newBackend()];
    const key = uniqueKey("arrival");
    const held = await holder.acquire({ key, ttlMs: 20_000 });
    if (!held.ok) throw new Error("setup");
    const order: string[] = [];
    const attempts = { early: 0, late: 0 };
    const start = (name: "early" | "late", backend: PostgresBackend, timeoutMs: number) =>
      createLock(backend)(() => void order.push(name), {
        key,
        timeoutMs,
        retryDelayMs: 5_000,
        maxRetryDelayMs: 5_000,
        onEvent: (event) => {
          if (event.type === "contended") attempts[name]++;
        },
      });
    // The first to arrive is the more patient one: ordering by give-up time would serve it last.
    const first = start("early", early, 20_000);
    await waitFor(() => attempts.early >= 2, 5_000, 2);
    const second = start("late", late, 10_000);
    await waitFor(() => attempts.late >= 2, 5_000, 2);
    await holder.release({ lockId: held.lockId });
    await Promise.all([first, second]);
    expect(order).toEqual(["early", "late"]);
  });

  it("callers that gave up leave the queue at once: later waiters are not held up", async () => {
    const [holder, quitter, patient] = [await newBackend(), await newBackend(), await newBackend()];
    const key = uniqueKey("quitters");
    const held = await holder.acquire({ key, ttlMs: 20_000 });
    if (!held.ok) throw new Error("setup");
    // Eight callers queue up and abort while the key is still held.
    const controllers = Array.from({ length: 8 }, () => new AbortController());
    const quitting = controllers.map((controller) =>
      createLock(quitter)(() => undefined, { key, timeoutMs: 30_000, signal: controller.signal }),
    );
    await waitFor(async () => (await queueSize(key)) === 8, 5_000);
    for (const controller of controllers) controller.abort();
    await Promise.allSettled(quitting);
    await waitFor(async () => (await queueSize(key)) === 0, 2_000);
    // A patient waiter after them is handed the key directly on release.
    const running = createLock(patient)(() => performance.now(), {
      key,
      retryDelayMs: 5_000,
      maxRetryDelayMs: 5_000,
    });
    await waitFor(async () => (await queueSize(key)) === 1, 5_000);
    const releasedAt = performance.now();
    await holder.release({ lockId: held.lockId });
    expect((await running) - releasedAt).toBeLessThan(HANDOFF_WINDOW_MS);
  });

  it("a waiter that gives up while the key is reserved for it hands the key straight on", async () => {
    const [holder, first, second] = [await newBackend(), await newBackend(), await newBackend()];
    const key = uniqueKey("withdraw-reserved");
    const held = await holder.acquire({ key, ttlMs: 20_000 });
    if (!held.ok) throw new Error("setup");
    const waiter = { id: "givesup", timeoutMs: 10_000, budgetMs: 10_000 };
    await attemptAsWaiter(first, key, waiter); // queued first
    const running = createLock(second)(() => performance.now(), {
      key,
      retryDelayMs: 5_000,
      maxRetryDelayMs: 5_000,
    });
    await waitFor(async () => (await queueSize(key)) === 2, 5_000);
    await holder.release({ lockId: held.lockId }); // reserved for "givesup"
    const withdrawnAt = performance.now();
    await drivers.get(first)?.withdraw?.({ key, waiter });
    // The reservation was dropped and announced: the next waiter runs at once, not after the window.
    expect((await running) - withdrawnAt).toBeLessThan(HANDOFF_WINDOW_MS);
  });

  it("an uncontended release announces nothing", async () => {
    const [holder, listener] = [await newBackend(), await newBackend()];
    const key = uniqueKey("quiet");
    const held = await holder.acquire({ key, ttlMs: 20_000 });
    if (!held.ok) throw new Error("setup");
    let heard = 0;
    const stop = await listener.subscribe!(key, () => void heard++);
    expect(await holder.release({ lockId: held.lockId })).toEqual({ ok: true });
    // A release that turned an attempt away, on another key of the same channel, is heard.
    const other = uniqueKey("loud");
    const again = await holder.acquire({ key: other, ttlMs: 20_000 });
    if (!again.ok) throw new Error("setup");
    let heardOther = 0;
    const stopOther = await listener.subscribe!(other, () => void heardOther++);
    expect((await listener.acquire({ key: other, ttlMs: 20_000 })).ok).toBe(false);
    await holder.release({ lockId: again.lockId });
    await waitFor(() => heardOther > 0, 5_000);
    expect(heard).toBe(0);
    stop();
    stopOther();
  });
});
