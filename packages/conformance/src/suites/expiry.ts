import assert from "node:assert/strict";
import { TIME_TOLERANCE_MS } from "@syncguard/core/driver";
import { mustAcquire, type SuiteContext } from "../context";
import { eventually, sleepUntil, uniqueKey } from "../helpers";

/** How far past expiresAtMs the tolerance checks run: well inside TIME_TOLERANCE_MS. */
const INSIDE_TOLERANCE_MS = 100;

export function expirySuite(ctx: SuiteContext): void {
  ctx.test(
    "expiry.live",
    "a lock reads held shortly before its TTL ends",
    async () => {
      const key = uniqueKey("exp-live");
      const ttlMs = ctx.ms(1_000);
      const lock = await mustAcquire(ctx.backend, key, ttlMs);
      await sleepUntil(lock.expiresAtMs - ctx.ms(300));
      assert.equal(await ctx.backend.isLocked({ key }), true, "lock freed before its TTL");
      assert.equal(
        (await ctx.backend.acquire({ key, ttlMs })).ok,
        false,
        "lock taken before its TTL",
      );
    },
    { waitsOnClock: true },
  );

  ctx.test(
    "expiry.frees",
    "an unreleased lock frees itself by TTL + TIME_TOLERANCE_MS and can be re-acquired",
    async () => {
      const key = uniqueKey("exp-frees");
      const ttlMs = ctx.ms(300);
      const lock = await mustAcquire(ctx.backend, key, ttlMs);
      const deadline = lock.expiresAtMs + TIME_TOLERANCE_MS + ctx.ms(1_500);
      await eventually(async () => !(await ctx.backend.isLocked({ key })), deadline - Date.now());
      await eventually(
        async () => (await ctx.backend.acquire({ key, ttlMs: ctx.ms(5_000) })).ok,
        Math.max(deadline - Date.now(), ctx.ms(500)),
      );
    },
    { waitsOnClock: true },
  );

  ctx.test(
    "time.tolerance",
    `a lock is still live ${INSIDE_TOLERANCE_MS} ms after expiresAtMs (tolerance ${TIME_TOLERANCE_MS} ms)`,
    async () => {
      const key = uniqueKey("exp-tolerance");
      const lock = await mustAcquire(ctx.backend, key, ctx.ms(1_000));
      const liveUntil = lock.expiresAtMs + TIME_TOLERANCE_MS;
      await sleepUntil(lock.expiresAtMs + INSIDE_TOLERANCE_MS);
      // Each answer counts only if it came back while the lock must still be live.
      const check = async (what: string, ok: () => Promise<boolean>) => {
        const passed = await ok();
        const late = Date.now() >= liveUntil;
        assert.ok(
          passed || late,
          `${what} within the tolerance window (${Date.now() - lock.expiresAtMs} ms after expiresAtMs)`,
        );
        if (late)
          assert.fail(`inconclusive: the backend answered after the tolerance window (${what})`);
      };
      await check("a competing acquire must report locked", async () => {
        return !(await ctx.backend.acquire({ key, ttlMs: ctx.ms(1_000) })).ok;
      });
      await check("isLocked must be true", () => ctx.backend.isLocked({ key }));
      await check(
        "lookup must find the lock",
        async () => (await ctx.backend.lookup({ key })) !== null,
      );
      await check("the holder must still release it", async () => {
        return (await ctx.backend.release({ lockId: lock.lockId })).ok;
      });
    },
    { waitsOnClock: true },
  );
}
