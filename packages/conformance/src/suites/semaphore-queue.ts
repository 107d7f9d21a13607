import assert from "node:assert/strict";
import { acquirePermit, createLock, whenIdle } from "@syncguard/core";
import { asLockBackend, type BackendUnderTest, type SuiteContext } from "../context";
import { eventually, uniqueKey } from "../helpers";

/**
 * Fair hand-off of permits through the store's wait queue (ADR-039, "Waiting across processes"):
 * the `[wait.*]` rules of locks, for permits. Each waiter runs on a backend of its own
 * (`createPeerBackend`), so its process-local queue cannot be what orders them. Needs permits
 * and `options.capabilities.waitQueue`; `skipReason` reports both tests as skipped.
 */
export function semaphoreQueueTests(ctx: SuiteContext, skipReason?: string): void {
  const reason =
    skipReason ??
    (ctx.options.capabilities?.waitQueue
      ? undefined
      : "options.capabilities.waitQueue not declared: the store keeps no wait queue");
  if (reason) {
    ctx.skip(
      "semaphore.fair-processes",
      "permit waiters on separate backends are served in arrival order",
      reason,
    );
    ctx.skip("semaphore.withdraw", "permit waiters that give up leave the queue", reason);
    return;
  }

  /** lock.semaphore on `peer` with a retry delay long enough that only a wake-up can run it soon. */
  const patientSemaphore = (
    peer: BackendUnderTest,
    options: { key: string; permits: number; timeoutMs: number; signal?: AbortSignal },
    fn: () => unknown,
    onAttempt: () => void,
  ) =>
    createLock(asLockBackend(peer), {
      retryDelayMs: ctx.ms(10_000),
      maxRetryDelayMs: ctx.ms(10_000),
    }).semaphore(fn, {
      ...options,
      onEvent: (event) => {
        if (event.type === "contended" || event.type === "acquired") onAttempt();
      },
    });

  ctx.test(
    "semaphore.fair-processes",
    "three lock.semaphore waiters on separate backends run in arrival order after one permit of two is released, the first to arrive the most patient, each with one attempt after it",
    async () => {
      const key = uniqueKey("semaphore-fair-processes");
      const options = { key, permits: 2, ttlMs: ctx.ms(30_000) };
      const backend = asLockBackend(ctx.backend);
      const held = [await acquirePermit(backend, options), await acquirePermit(backend, options)];
      const order: number[] = [];
      const attempts = [0, 0, 0];
      const running: Promise<unknown>[] = [];
      for (const i of [0, 1, 2]) {
        const peer = await ctx.peer();
        running.push(
          patientSemaphore(
            peer,
            { key, permits: 2, timeoutMs: ctx.ms(30_000 - 4_000 * i) },
            () => order.push(i),
            () => attempts[i]!++,
          ),
        );
        // Turned away twice (its first attempt, then one after it listens): it is queued before
        // the next waiter starts.
        await eventually(() => attempts[i]! >= 2, ctx.ms(5_000), 2);
      }
      const before = [...attempts];
      // One permit comes free; each waiter releases its own to the next in line.
      assert.equal((await held[0]!.release()).ok, true);
      await Promise.all(running);
      assert.deepEqual(order, [0, 1, 2], "waiters must get a permit in arrival order");
      assert.deepEqual(
        attempts.map((n, i) => n - before[i]!),
        [1, 1, 1],
        "each waiter must be woken once, when a permit is its to take",
      );
      await held[1]!.release();
    },
    { timeoutMs: 60_000 },
  );

  ctx.test(
    "semaphore.withdraw",
    "eight queued permit waiters abort: the next release keeps the permit for none of them, so another caller takes it at once",
    async () => {
      const key = uniqueKey("semaphore-withdraw");
      const backend = asLockBackend(ctx.backend);
      const held = await acquirePermit(backend, { key, permits: 1, ttlMs: ctx.ms(30_000) });
      const controllers = Array.from({ length: 8 }, () => new AbortController());
      const quitters = await Promise.all(controllers.map(() => ctx.peer()));
      const counts = controllers.map(() => 0);
      const quitting = controllers.map((controller, i) =>
        patientSemaphore(
          quitters[i]!,
          { key, permits: 1, timeoutMs: ctx.ms(30_000), signal: controller.signal },
          () => undefined,
          () => counts[i]!++,
        ).catch(() => undefined),
      );
      // Each is turned away twice (its first attempt, then one after it listens): queued.
      await eventually(() => counts.every((n) => n >= 2), ctx.ms(5_000), 2);
      for (const controller of controllers) controller.abort();
      await Promise.all(quitting);
      // Withdrawals are background work of each waiter's backend: wait until they have landed.
      await Promise.all(quitters.map((quitter) => whenIdle(asLockBackend(quitter))));
      assert.equal((await held.release()).ok, true);
      const latecomer = await ctx.peer();
      const late = await acquirePermit(asLockBackend(latecomer), {
        key,
        permits: 1,
        ttlMs: ctx.ms(10_000),
        timeoutMs: 0,
      }).catch((error: unknown) => error);
      assert.ok(
        !(late instanceof Error),
        `the permit was kept for a waiter that had given up: withdrawn waiters must leave the queue (${String(late)})`,
      );
      await (late as { release(): Promise<unknown> }).release();
    },
    { timeoutMs: 40_000 },
  );
}
