import assert from "node:assert/strict";
import { acquire, isLockError } from "@syncguard/core";
import { LOCK_ID_LENGTH } from "@syncguard/core/driver";
import { asLockBackend, mustAcquire, type SuiteContext } from "../context";
import { rejectsWithCode, sleep, uniqueKey } from "../helpers";

/** The fence the context or handle carries, if the backend fences (typed away for generic C). */
const fenceIn = (value: object): string | undefined => (value as { fence?: string }).fence;

export function lockSuite(ctx: SuiteContext): void {
  /** Holds `key` directly on the backend so lock() has to wait. */
  const hold = (key: string) => mustAcquire(ctx.backend, key, ctx.ms(10_000));

  ctx.test(
    "lock.result",
    "lock(fn) holds the lock during fn, returns its value, then releases",
    async () => {
      const key = uniqueKey("lock-result");
      const value = await ctx.lock()(
        async () => {
          assert.equal(await ctx.backend.isLocked({ key }), true, "fn ran without the lock");
          return { answer: 42 };
        },
        { key, ttlMs: ctx.ms(5_000) },
      );
      assert.deepEqual(value, { answer: 42 });
      assert.equal(await ctx.backend.isLocked({ key }), false, "lock() did not release");
      assert.equal(await ctx.lock()(() => "sync", { key }), "sync");
      assert.equal(await ctx.backend.isLocked({ key }), false);
    },
  );

  ctx.test("lock.error", "fn's error propagates unchanged and the lock is released", async () => {
    const key = uniqueKey("lock-error");
    const failure = new Error("work failed");
    for (const fn of [
      async () => {
        throw failure;
      },
      () => {
        throw failure;
      },
    ]) {
      await assert.rejects(
        ctx.lock()(fn, { key, ttlMs: ctx.ms(5_000) }),
        (error) => error === failure,
      );
      assert.equal(
        await ctx.backend.isLocked({ key }),
        false,
        "lock() kept the lock after a throw",
      );
    }
  });

  ctx.test("lock.context", "fn's context carries the held lock and can extend it", async () => {
    const key = uniqueKey("lock-context");
    await ctx.lock()(
      async (context) => {
        assert.equal(context.lockId.length, LOCK_ID_LENGTH);
        assert.equal(context.signal.aborted, false);
        const info = await ctx.backend.lookup({ lockId: context.lockId });
        assert.ok(info, "context.lockId does not hold the lock");
        assert.equal(info.key, key);
        assert.equal(context.expiresAtMs, info.expiresAtMs);
        if (ctx.fencing) assert.equal(fenceIn(context), info.fence, "context.fence differs");
        const extended = await context.extend(ctx.ms(20_000));
        assert.equal(extended.ok, true);
        assert.ok(extended.ok && context.expiresAtMs === extended.expiresAtMs);
        assert.equal((await ctx.backend.lookup({ key }))?.expiresAtMs, context.expiresAtMs);
      },
      { key, ttlMs: ctx.ms(5_000) },
    );
  });

  ctx.test("lock.exclusion", "two concurrent callers run one after the other", async () => {
    const key = uniqueKey("lock-exclusion");
    const events: string[] = [];
    const section = (name: string) => async () => {
      events.push(`${name}:start`);
      await sleep(ctx.ms(100));
      events.push(`${name}:end`);
    };
    const options = { key, ttlMs: ctx.ms(5_000), timeoutMs: ctx.ms(10_000), retryDelayMs: 10 };
    await Promise.all([ctx.lock()(section("a"), options), ctx.lock()(section("b"), options)]);
    assert.equal(events.length, 4);
    const first = events[0]?.split(":")[0];
    assert.deepEqual(
      events.slice(0, 2),
      [`${first}:start`, `${first}:end`],
      `overlap: ${events.join(", ")}`,
    );
  });

  ctx.test(
    "lock.timeout",
    "a key that stays held ends in AcquisitionTimeout after about timeoutMs",
    async () => {
      const key = uniqueKey("lock-timeout");
      await hold(key);
      let ran = false;
      const timeoutMs = ctx.ms(400);
      const started = Date.now();
      await rejectsWithCode(
        () =>
          ctx.lock()(
            () => {
              ran = true;
            },
            {
              key,
              timeoutMs,
              maxRetries: 1_000,
              retryDelayMs: 20,
            },
          ),
        "AcquisitionTimeout",
        "lock() on a held key",
      );
      const elapsed = Date.now() - started;
      assert.equal(ran, false, "fn ran although the lock was held");
      assert.ok(
        elapsed >= timeoutMs - 50,
        `gave up after ${elapsed} ms, before timeoutMs ${timeoutMs}`,
      );
      assert.ok(
        elapsed <= timeoutMs + ctx.ms(1_500),
        `gave up after ${elapsed} ms, long after ${timeoutMs}`,
      );
    },
  );

  ctx.test(
    "lock.max-retries",
    "maxRetries bounds the attempts; 0 means a single attempt",
    async () => {
      const key = uniqueKey("lock-retries");
      await hold(key);
      for (const maxRetries of [0, 2]) {
        const started = Date.now();
        let caught: unknown;
        try {
          await ctx.lock()(() => undefined, {
            key,
            maxRetries,
            retryDelayMs: 10,
            timeoutMs: ctx.ms(20_000),
          });
        } catch (error) {
          caught = error;
        }
        assert.ok(
          isLockError(caught, "AcquisitionTimeout"),
          `maxRetries ${maxRetries}: ${String(caught)}`,
        );
        const attempts = caught.details?.attempts;
        if (attempts !== undefined) assert.ok(attempts <= maxRetries + 1, `${attempts} attempts`);
        if (maxRetries === 0 && attempts !== undefined) assert.equal(attempts, 1);
        // Far below timeoutMs: the retry budget, not the clock, ended the wait.
        assert.ok(Date.now() - started < ctx.ms(5_000), "maxRetries did not bound the wait");
      }
    },
  );

  ctx.test(
    "lock.abort",
    "aborting a waiting lock() rejects with Aborted and leaves nothing held",
    async () => {
      const key = uniqueKey("lock-abort");
      const holder = await hold(key);
      const controller = new AbortController();
      let ran = false;
      const waiting = ctx.lock()(
        () => {
          ran = true;
        },
        {
          key,
          signal: controller.signal,
          timeoutMs: ctx.ms(20_000),
          retryDelayMs: 20,
        },
      );
      await sleep(ctx.ms(150));
      const abortedAt = Date.now();
      controller.abort();
      await rejectsWithCode(() => waiting, "Aborted", "lock() after abort");
      assert.ok(Date.now() - abortedAt < ctx.ms(1_000), "abort was not prompt");
      assert.equal(ran, false);
      assert.equal(
        (await ctx.backend.release({ lockId: holder.lockId })).ok,
        true,
        "holder was disturbed",
      );
      await sleep(ctx.ms(100)); // a late attempt from the aborted waiter would show up here
      assert.equal(
        await ctx.backend.isLocked({ key }),
        false,
        "the aborted waiter left the key held",
      );
    },
  );

  ctx.test(
    "handle.dispose",
    "acquire() returns a handle that extends, releases once and disposes",
    async () => {
      const backend = asLockBackend(ctx.backend);
      const key = uniqueKey("handle");
      const handle = await acquire(backend, { key, ttlMs: ctx.ms(5_000) });
      const info = await ctx.backend.lookup({ key });
      assert.equal(info?.lockIdHash !== undefined, true);
      if (ctx.fencing) assert.equal(fenceIn(handle), info?.fence);
      assert.equal((await handle.extend(ctx.ms(10_000))).ok, true);
      assert.equal((await handle.release()).ok, true);
      assert.equal((await handle.release()).ok, false);
      assert.equal(await ctx.backend.isLocked({ key }), false);
      {
        await using scoped = await acquire(backend, { key, ttlMs: ctx.ms(5_000) });
        assert.equal(await ctx.backend.isLocked({ key: scoped.key }), true);
      }
      assert.equal(await ctx.backend.isLocked({ key }), false, "await using did not release");
    },
  );
}
