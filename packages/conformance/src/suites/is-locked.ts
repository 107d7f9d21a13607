import assert from "node:assert/strict";
import { CLEANUP_GUARD_MS, compareFence, TIME_TOLERANCE_MS } from "@syncguard/core/driver";
import { fenceOf, mustAcquire, type SuiteContext } from "../context";
import { eventually, sleepUntil, uniqueKey } from "../helpers";

export function isLockedSuite(ctx: SuiteContext): void {
  ctx.test("isLocked.state", "true while held, false when unused or released", async () => {
    const key = uniqueKey("isl-state");
    assert.equal(await ctx.backend.isLocked({ key }), false, "an unused key reads locked");
    const lock = await mustAcquire(ctx.backend, key, ctx.ms(5_000));
    assert.equal(await ctx.backend.isLocked({ key }), true);
    assert.equal((await ctx.backend.release({ lockId: lock.lockId })).ok, true);
    assert.equal(await ctx.backend.isLocked({ key }), false, "a released key reads locked");
  });

  ctx.test(
    "isLocked.state",
    "false once the lock has expired",
    async () => {
      const key = uniqueKey("isl-expired");
      const ttlMs = ctx.ms(200);
      await mustAcquire(ctx.backend, key, ttlMs);
      await eventually(
        async () => !(await ctx.backend.isLocked({ key })),
        ttlMs + TIME_TOLERANCE_MS + ctx.ms(3_000),
      );
    },
    { waitsOnClock: true },
  );

  ctx.test("isLocked.pure", "reading a held lock changes neither holder nor expiry", async () => {
    const key = uniqueKey("isl-pure");
    const lock = await mustAcquire(ctx.backend, key, ctx.ms(5_000));
    for (let i = 0; i < 5; i++) assert.equal(await ctx.backend.isLocked({ key }), true);
    const info = await ctx.backend.lookup({ key });
    assert.ok(info, "the lock vanished after isLocked calls");
    assert.equal(info.expiresAtMs, lock.expiresAtMs, "isLocked changed the expiry");
    if (ctx.fencing) assert.equal(info.fence, fenceOf(lock), "isLocked changed the fence");
    assert.equal((await ctx.backend.acquire({ key, ttlMs: ctx.ms(1_000) })).ok, false);
    assert.equal((await ctx.backend.release({ lockId: lock.lockId })).ok, true);
  });

  ctx.test(
    "isLocked.pure",
    "reading an expired lock does not reset its fence",
    async () => {
      const key = uniqueKey("isl-pure-expired");
      const ttlMs = ctx.ms(200);
      const first = await mustAcquire(ctx.backend, key, ttlMs);
      // Read it past the cleanup guard too: a backend with cleanupInIsLocked may then delete the
      // lock record, but never the fence counter.
      await eventually(
        async () => !(await ctx.backend.isLocked({ key })),
        ttlMs + TIME_TOLERANCE_MS + ctx.ms(3_000),
      );
      await sleepUntil(first.expiresAtMs + CLEANUP_GUARD_MS + ctx.ms(100));
      for (let i = 0; i < 3; i++) assert.equal(await ctx.backend.isLocked({ key }), false);
      const second = await mustAcquire(ctx.backend, key, ctx.ms(1_000));
      if (ctx.fencing) {
        assert.ok(compareFence(fenceOf(second), fenceOf(first)) > 0, "fence went backwards");
      }
    },
    { waitsOnClock: true },
  );
}
