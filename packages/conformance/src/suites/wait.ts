import assert from "node:assert/strict";
import { type BackendUnderTest, mustAcquire, type SuiteContext } from "../context";
import { eventually, sleep, uniqueKey } from "../helpers";

/**
 * Fair hand-off through a wait queue kept in the store (specs/interface.md §8.3, mechanism 2):
 * waiters in different processes are served in arrival order, a release reserves the key for the
 * oldest, and a waiter that gives up leaves the queue. Each waiter here runs on a backend of its
 * own (`createPeerBackend`), so its process-local queue cannot be what orders them. An optional
 * capability (`options.capabilities.waitQueue`); undeclared, these tests are reported as skipped.
 */
export function waitSuite(ctx: SuiteContext): void {
  if (!ctx.options.capabilities?.waitQueue) {
    const reason = "options.capabilities.waitQueue not declared: the store keeps no wait queue";
    ctx.skip("wait.fair", "waiters on separate backends are served in arrival order", reason);
    ctx.skip("wait.reserved", "a released key is kept for the oldest waiter", reason);
    ctx.skip("wait.withdraw", "waiters that give up leave the queue", reason);
    return;
  }

  /** lock() on `backend` with a retry delay long enough that only a wake-up can run it soon. */
  const patientLock = (
    backend: BackendUnderTest,
    key: string,
    fn: () => unknown,
    onAttempt: () => void,
    timeoutMs = ctx.ms(20_000),
  ) =>
    ctx.lockOn(backend)(fn, {
      key,
      timeoutMs,
      retryDelayMs: ctx.ms(10_000),
      maxRetryDelayMs: ctx.ms(10_000),
      onEvent: (event) => {
        if (event.type === "contended" || event.type === "acquired") onAttempt();
      },
    });

  ctx.test(
    "wait.fair",
    "three lock() waiters on separate backends run in arrival order after one release, the first to arrive the most patient, each with one attempt after it",
    async () => {
      const key = uniqueKey("wait-fair");
      const held = await mustAcquire(ctx.backend, key, ctx.ms(20_000));
      const order: number[] = [];
      const attempts = [0, 0, 0];
      const running: Promise<unknown>[] = [];
      for (const i of [0, 1, 2]) {
        const backend = await ctx.peer();
        running.push(
          patientLock(
            backend,
            key,
            () => order.push(i),
            () => attempts[i]!++,
            ctx.ms(20_000 - 4_000 * i),
          ),
        );
        // Turned away twice (its first attempt, then one after it listens): it is queued before
        // the next waiter starts.
        await eventually(() => attempts[i]! >= 2, ctx.ms(5_000), 2);
      }
      const before = [...attempts];
      assert.equal((await ctx.backend.release({ lockId: held.lockId })).ok, true);
      await Promise.all(running);
      assert.deepEqual(order, [0, 1, 2], "waiters must get the key in arrival order");
      assert.deepEqual(
        attempts.map((n, i) => n - before[i]!),
        [1, 1, 1],
        "each waiter must be woken once, when the key is its to take",
      );
    },
    { timeoutMs: 40_000 },
  );

  ctx.test(
    "wait.reserved",
    "acquires by another caller, sent back to back while a release hands the key to a queued waiter, all fail; the waiter runs",
    async () => {
      const key = uniqueKey("wait-reserved");
      const held = await mustAcquire(ctx.backend, key, ctx.ms(20_000));
      const waiter = await ctx.peer();
      const latecomer = await ctx.peer();
      let attempts = 0;
      let ran = false;
      let finish: () => void = () => {};
      const finished = new Promise<void>((resolve) => {
        finish = resolve;
      });
      const running = patientLock(
        waiter,
        key,
        async () => {
          ran = true;
          await finished; // hold the key until the latecomer has stopped trying
        },
        () => attempts++,
      );
      await eventually(() => attempts >= 2, ctx.ms(5_000), 2);
      // The latecomer tries from just before the release until the waiter runs: without a
      // reservation one of its attempts lands between the release and the woken waiter's.
      let stolen = false;
      let tries = 0;
      const stopAt = performance.now() + ctx.ms(5_000);
      const latecoming = (async () => {
        while (!ran && performance.now() < stopAt) {
          tries++;
          const late = await latecomer.acquire({ key, ttlMs: ctx.ms(10_000) });
          if (late.ok) {
            stolen = true;
            await latecomer.release({ lockId: late.lockId });
            return;
          }
        }
      })();
      assert.equal((await ctx.backend.release({ lockId: held.lockId })).ok, true);
      await latecoming;
      assert.equal(stolen, false, `a caller that never waited took the key (attempt ${tries})`);
      await eventually(() => ran, ctx.ms(5_000));
      finish();
      await running;
    },
    { timeoutMs: 30_000 },
  );

  ctx.test(
    "wait.withdraw",
    "eight queued waiters abort: the next release keeps the key for none of them, so another caller takes it at once",
    async () => {
      const key = uniqueKey("wait-withdraw");
      const held = await mustAcquire(ctx.backend, key, ctx.ms(20_000));
      const controllers = Array.from({ length: 8 }, () => new AbortController());
      const quitters = await Promise.all(controllers.map(() => ctx.peer()));
      const latecomer = await ctx.peer();
      const counts = controllers.map(() => 0);
      const quitting = controllers.map((controller, i) =>
        ctx
          .lockOn(quitters[i]!)(() => undefined, {
            key,
            timeoutMs: ctx.ms(30_000),
            retryDelayMs: ctx.ms(10_000),
            signal: controller.signal,
            onEvent: (event) => {
              if (event.type === "contended") counts[i]!++;
            },
          })
          .catch(() => undefined),
      );
      // Each is turned away twice (its first attempt, then one after it listens): queued.
      await eventually(() => counts.every((n) => n >= 2), ctx.ms(5_000), 2);
      for (const controller of controllers) controller.abort();
      await Promise.all(quitting);
      // Withdrawals are sent without being awaited by the caller: give them a moment to land.
      await sleep(ctx.ms(300));
      assert.equal((await ctx.backend.release({ lockId: held.lockId })).ok, true);
      const late = await latecomer.acquire({ key, ttlMs: ctx.ms(10_000) });
      assert.equal(
        late.ok,
        true,
        "the key was kept for a waiter that had given up: withdrawn waiters must leave the queue",
      );
      if (late.ok) await latecomer.release({ lockId: late.lockId });
    },
    { timeoutMs: 30_000 },
  );
}
