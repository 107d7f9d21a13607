import assert from "node:assert/strict";
import { TIME_TOLERANCE_MS } from "@syncguard/core/driver";
import { expireAndReacquire, mustAcquire, type SuiteContext } from "../context";
import { eventually, foreignLockId, sleepUntil, timed, uniqueKey } from "../helpers";

export function extendSuite(ctx: SuiteContext): void {
  /** Waits until `key` reads free (its lock expired), within TTL + tolerance + slack. */
  const untilFree = (key: string, ttlMs: number) =>
    eventually(
      async () => !(await ctx.backend.isLocked({ key })),
      ttlMs + TIME_TOLERANCE_MS + ctx.ms(3_000),
    );

  ctx.test("extend.replaces", "extend sets expiry to now + ttlMs, also earlier", async () => {
    const key = uniqueKey("ext-replace");
    const lock = await mustAcquire(ctx.backend, key, ctx.ms(60_000));
    const shorterTtl = ctx.ms(10_000);
    const { value, t0, t1 } = await timed(() =>
      ctx.backend.extend({ lockId: lock.lockId, ttlMs: shorterTtl }),
    );
    assert.equal(value.ok, true);
    if (!value.ok) return;
    assert.ok(value.expiresAtMs < lock.expiresAtMs, "a shorter ttl must move expiry earlier");
    assert.ok(
      value.expiresAtMs >= t0 + shorterTtl - TIME_TOLERANCE_MS &&
        value.expiresAtMs <= t1 + shorterTtl + TIME_TOLERANCE_MS,
      `expiresAtMs ${value.expiresAtMs} must be about now + ttlMs`,
    );
    const info = await ctx.backend.lookup({ key });
    assert.equal(info?.expiresAtMs, value.expiresAtMs, "lookup must show the new expiry");
    const longer = await ctx.backend.extend({ lockId: lock.lockId, ttlMs: ctx.ms(30_000) });
    assert.ok(longer.ok && longer.expiresAtMs > value.expiresAtMs, "a longer ttl moves it later");
  });

  ctx.test(
    "extend.keeps-alive",
    "an extended lock stays held past its original TTL",
    async () => {
      const key = uniqueKey("ext-alive");
      const lock = await mustAcquire(ctx.backend, key, ctx.ms(300));
      const extended = await ctx.backend.extend({ lockId: lock.lockId, ttlMs: ctx.ms(10_000) });
      assert.equal(extended.ok, true);
      // Past the original expiry and its tolerance: only the extension can keep it held.
      await sleepUntil(lock.expiresAtMs + TIME_TOLERANCE_MS + ctx.ms(300));
      assert.equal(await ctx.backend.isLocked({ key }), true, "the lock expired despite extend");
      assert.equal((await ctx.backend.acquire({ key, ttlMs: ctx.ms(1_000) })).ok, false);
      assert.equal(
        (await ctx.backend.extend({ lockId: lock.lockId, ttlMs: ctx.ms(5_000) })).ok,
        true,
      );
      assert.equal((await ctx.backend.release({ lockId: lock.lockId })).ok, true);
    },
    { waitsOnClock: true },
  );

  ctx.test("extend.owner", "a lockId that does not hold the key cannot extend it", async () => {
    const key = uniqueKey("ext-owner");
    const lock = await mustAcquire(ctx.backend, key, ctx.ms(5_000));
    const other = await mustAcquire(ctx.backend, uniqueKey("ext-owner-other"), ctx.ms(5_000));
    assert.equal(
      (await ctx.backend.extend({ lockId: foreignLockId(key), ttlMs: ctx.ms(60_000) })).ok,
      false,
    );
    // The holder of another key extends only its own lock.
    assert.equal(
      (await ctx.backend.extend({ lockId: other.lockId, ttlMs: ctx.ms(60_000) })).ok,
      true,
    );
    const info = await ctx.backend.lookup({ key });
    assert.equal(info?.expiresAtMs, lock.expiresAtMs, "a wrong lockId changed the expiry");
  });

  ctx.test("extend.after-release", "extending a released lock fails", async () => {
    const key = uniqueKey("ext-released");
    const lock = await mustAcquire(ctx.backend, key, ctx.ms(5_000));
    assert.equal((await ctx.backend.release({ lockId: lock.lockId })).ok, true);
    assert.equal(
      (await ctx.backend.extend({ lockId: lock.lockId, ttlMs: ctx.ms(5_000) })).ok,
      false,
    );
    assert.equal(await ctx.backend.isLocked({ key }), false, "extend brought a released lock back");
  });

  ctx.test(
    "extend.no-resurrection",
    "extending an expired lock fails and does not bring it back",
    async () => {
      const key = uniqueKey("ext-expired");
      const ttlMs = ctx.ms(200);
      const lock = await mustAcquire(ctx.backend, key, ttlMs);
      await untilFree(key, ttlMs);
      assert.equal(
        (await ctx.backend.extend({ lockId: lock.lockId, ttlMs: ctx.ms(10_000) })).ok,
        false,
      );
      assert.equal(await ctx.backend.isLocked({ key }), false, "extend resurrected the lock");
      assert.equal(await ctx.backend.lookup({ key }), null);
      assert.equal(await ctx.backend.lookup({ lockId: lock.lockId }), null);
      assert.equal((await ctx.backend.acquire({ key, ttlMs: ctx.ms(1_000) })).ok, true);
    },
    { waitsOnClock: true },
  );

  ctx.test(
    "extend.stale",
    "an expired holder's lockId cannot extend the next holder",
    async () => {
      const key = uniqueKey("ext-stale");
      const { expired: first, next: second } = await expireAndReacquire(ctx.backend, key, {
        ttlMs: ctx.ms(200),
        nextTtlMs: ctx.ms(5_000),
        slackMs: ctx.ms(3_000),
      });
      assert.equal(
        (await ctx.backend.extend({ lockId: first.lockId, ttlMs: ctx.ms(60_000) })).ok,
        false,
      );
      const info = await ctx.backend.lookup({ key });
      assert.equal(
        info?.expiresAtMs,
        second.expiresAtMs,
        "the stale extend changed the new holder",
      );
    },
    { waitsOnClock: true },
  );
}
