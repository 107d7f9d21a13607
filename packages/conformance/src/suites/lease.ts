import assert from "node:assert/strict";
import { forceRelease, isLockError, type LockError } from "@syncguard/core";
import { asLockBackend, mustAcquire, type SuiteContext } from "../context";
import { eventually, rejectsWithCode, sleep, uniqueKey, untilAborted } from "../helpers";

/**
 * The lease as work sees it: auto-extend keeps a short lock alive, loss is signalled in time,
 * and (for backends with `subscribe`) a waiter hears about a release instead of sleeping it out.
 */
export function leaseSuite(ctx: SuiteContext): void {
  ctx.test(
    "lease.auto-extend",
    "autoExtend keeps a short lock alive for several TTLs while a competitor keeps trying",
    async () => {
      const key = uniqueKey("lease-keep");
      const ttlMs = ctx.ms(1_000);
      let intrusions = 0;
      let attempts = 0;
      const aborted = await ctx.lock()(
        async ({ signal }) => {
          const until = performance.now() + 3 * ttlMs + ctx.ms(500);
          while (performance.now() < until) {
            const competitor = await ctx.backend.acquire({ key, ttlMs });
            attempts++;
            if (competitor.ok) intrusions++;
            await sleep(ctx.ms(150));
          }
          return signal.aborted;
        },
        { key, ttlMs, autoExtend: true },
      );
      assert.equal(intrusions, 0, "a competitor acquired a lock that autoExtend should keep");
      assert.ok(attempts > 3, "the competitor barely tried");
      assert.equal(aborted, false, "the signal aborted while renewals succeed");
      assert.equal(await ctx.backend.isLocked({ key }), false, "lock() did not release");
    },
    { waitsOnClock: true, timeoutMs: 30_000 },
  );

  ctx.test(
    "lease.lost",
    "a lock deleted behind the holder's back aborts ctx.signal within one renewal, and lock() rejects LockLost",
    async () => {
      const key = uniqueKey("lease-lost");
      const ttlMs = ctx.ms(1_500);
      let noticedAfterMs = Number.NaN;
      await rejectsWithCode(
        () =>
          ctx.lock()(
            async ({ lockId, signal }) => {
              assert.equal((await ctx.backend.release({ lockId })).ok, true); // an operator's cleanup
              const deletedAt = performance.now();
              await untilAborted(signal);
              noticedAfterMs = performance.now() - deletedAt;
              const reason = signal.reason as LockError;
              assert.ok(
                isLockError(reason, "LockLost"),
                "signal.reason must be LockError LockLost",
              );
            },
            { key, ttlMs, autoExtend: true },
          ),
        "LockLost",
        "lock()",
      );
      assert.ok(noticedAfterMs <= ttlMs / 3 + ctx.ms(1_000), `noticed after ${noticedAfterMs} ms`);
    },
    { waitsOnClock: true, timeoutMs: 30_000 },
  );

  ctx.test(
    "force.release",
    "forceRelease frees a key held by a live lock(): its signal aborts with LockLost, lock() rejects LockLost, the next holder gets a higher fence",
    async () => {
      const key = uniqueKey("force-release");
      const ttlMs = ctx.ms(1_500);
      let held: { fence?: string } | undefined;
      let entered!: () => void;
      const running = new Promise<void>((resolve) => {
        entered = resolve;
      });
      const holder = ctx
        .lock()(
          async (context) => {
            held = { ...("fence" in context ? { fence: String(context.fence) } : {}) };
            entered();
            await untilAborted(context.signal);
            const reason = context.signal.reason as LockError;
            assert.ok(isLockError(reason, "LockLost"), "signal.reason must be LockError LockLost");
          },
          { key, ttlMs, autoExtend: true },
        )
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      await running;
      // An operator clears the stuck lock, knowing only its key.
      const forced = await forceRelease(asLockBackend(ctx.backend), key, ctx.watch.observers);
      assert.equal(forced.released, true, "forceRelease must delete the live lock");
      assert.equal(forced.fence, held?.fence, "forceRelease reports the evicted lock's fence");
      const next = await mustAcquire(ctx.backend, key, ttlMs);
      if (held?.fence !== undefined && "fence" in next) {
        assert.ok(String(next.fence) > held.fence, "the next holder's fence must be higher");
      }
      const outcome = await holder;
      assert.ok(
        isLockError(outcome, "LockLost"),
        `lock() must reject with LockLost, got ${String(outcome)}`,
      );
      assert.equal((await ctx.backend.release({ lockId: next.lockId })).ok, true);
      assert.equal(
        (await forceRelease(asLockBackend(ctx.backend), key, ctx.watch.observers)).released,
        false,
        "a free key has nothing to force",
      );
    },
    { waitsOnClock: true, timeoutMs: 30_000 },
  );

  ctx.test(
    "lease.max-hold",
    "maxHoldMs ends a renewing holder: the signal aborts with LockLost at the bound, before the lease runs out",
    async () => {
      const key = uniqueKey("lease-max-hold");
      const ttlMs = ctx.ms(1_000);
      const maxHoldMs = ctx.ms(2_500); // several renewals happen first
      // The bound counts from when the winning acquire was sent: between these two moments.
      const calledAt = performance.now();
      let ranAt = Number.NaN;
      let abortedAt = Number.NaN;
      let heldAtAbort: boolean | undefined;
      await rejectsWithCode(
        () =>
          ctx.lock()(
            async ({ signal }) => {
              ranAt = performance.now();
              // A worker that would run forever: only the bound ends it.
              await untilAborted(signal);
              abortedAt = performance.now();
              heldAtAbort = await ctx.backend.isLocked({ key });
              assert.ok(isLockError(signal.reason, "LockLost"), "signal.reason must be LockLost");
              assert.match((signal.reason as LockError).message, /maxHoldMs/);
            },
            { key, ttlMs, autoExtend: true, maxHoldMs },
          ),
        "LockLost",
        "lock()",
      );
      assert.ok(
        abortedAt - calledAt >= maxHoldMs - 1,
        `aborted ${abortedAt - calledAt} ms after the call: before maxHoldMs ${maxHoldMs}`,
      );
      assert.ok(
        abortedAt - ranAt < maxHoldMs + ttlMs / 3,
        `aborted ${abortedAt - ranAt} ms after fn started: renewal ran past maxHoldMs ${maxHoldMs}`,
      );
      assert.equal(heldAtAbort, true, "the lease had already run out when the signal aborted");
      assert.equal(await ctx.backend.isLocked({ key }), false, "lock() did not release");
    },
    { waitsOnClock: true, timeoutMs: 30_000 },
  );

  // Wake-ups are an optional capability, declared in the options because the backend exists only
  // once the suite runs: undeclared, these tests are reported as skipped, never passed.
  if (!ctx.options.capabilities?.subscribe) {
    const reason = "options.capabilities.subscribe not declared: the backend has no wake-ups";
    ctx.skip("wake.release", "subscribe() listeners hear releases of their key", reason);
    ctx.skip("wake.release", "a lock() waiter runs soon after the holder releases", reason);
    return;
  }
  const subscribeOf = () => {
    const subscribe = ctx.backend.subscribe?.bind(ctx.backend);
    assert.ok(subscribe, "capabilities.subscribe is declared but the backend has no subscribe()");
    return subscribe;
  };

  ctx.test(
    "wake.release",
    "subscribe() listeners hear the release of a lock that turned an attempt away, and only of their key",
    async () => {
      const subscribe = subscribeOf();
      const key = uniqueKey("wake");
      const other = uniqueKey("wake-other");
      let heard = 0;
      let heardOther = 0;
      const unsubscribe = await subscribe(key, () => heard++);
      const unsubscribeOther = await subscribe(other, () => heardOther++);
      try {
        const held = await mustAcquire(ctx.backend, key, ctx.ms(10_000));
        // A waiter's attempt after subscribing: a backend may skip announcing uncontended releases.
        const turnedAway = await ctx.backend.acquire({ key, ttlMs: ctx.ms(10_000) });
        assert.equal(turnedAway.ok, false, "a second acquire of a held key must fail");
        await ctx.backend.release({ lockId: held.lockId });
        await eventually(() => heard > 0, ctx.ms(3_000));
        assert.equal(heardOther, 0, "a listener heard another key's release");
      } finally {
        unsubscribe();
        unsubscribeOther();
      }
    },
  );

  ctx.test(
    "wake.release",
    "a lock() waiter with a long retry delay runs soon after the holder releases",
    async () => {
      subscribeOf();
      const key = uniqueKey("wake-lock");
      const held = await mustAcquire(ctx.backend, key, ctx.ms(20_000));
      const retryDelayMs = ctx.ms(10_000);
      const waiting = ctx.lock()(() => performance.now(), {
        key,
        retryDelayMs,
        maxRetryDelayMs: retryDelayMs,
        timeoutMs: ctx.ms(15_000),
      });
      await sleep(ctx.ms(300)); // let the waiter fail once and subscribe
      const releasedAt = performance.now();
      await ctx.backend.release({ lockId: held.lockId });
      const ranAt = await waiting;
      assert.ok(
        ranAt - releasedAt < retryDelayMs / 2,
        `the waiter ran ${ranAt - releasedAt} ms after the release: it slept instead of waking`,
      );
    },
    { timeoutMs: 30_000 },
  );
}
