import assert from "node:assert/strict";
import { expireAndReacquire, fenceOf, mustAcquire, type SuiteContext } from "../context";
import { foreignLockId, uniqueKey } from "../helpers";

export function releaseSuite(ctx: SuiteContext): void {
  ctx.test("release.owner", "the holder releases once: ok true, then ok false", async () => {
    const key = uniqueKey("rel-owner");
    const lock = await mustAcquire(ctx.backend, key, ctx.ms(5_000));
    assert.equal((await ctx.backend.release({ lockId: lock.lockId })).ok, true);
    assert.equal(await ctx.backend.isLocked({ key }), false, "the key is free after release");
    assert.equal((await ctx.backend.release({ lockId: lock.lockId })).ok, false);
  });

  ctx.test("release.wrong-owner", "a wrong but well-formed lockId releases nothing", async () => {
    const key = uniqueKey("rel-wrong");
    const lock = await mustAcquire(ctx.backend, key, ctx.ms(5_000));
    // Sequential and concurrent attempts: neither may free the holder.
    assert.equal((await ctx.backend.release({ lockId: foreignLockId(key) })).ok, false);
    const concurrent = await Promise.all(
      Array.from({ length: 3 }, () => ctx.backend.release({ lockId: foreignLockId(key) })),
    );
    for (const result of concurrent) assert.equal(result.ok, false);
    // A lockId that holds another key must not release this one either.
    const other = await mustAcquire(ctx.backend, uniqueKey("rel-wrong-other"), ctx.ms(5_000));
    assert.equal(
      await ctx.backend.isLocked({ key }),
      true,
      "holder lost the lock to a wrong release",
    );
    const info = await ctx.backend.lookup({ key });
    assert.ok(info, "lookup must still find the holder");
    if (ctx.fencing) assert.equal(info.fence, fenceOf(lock));
    assert.equal((await ctx.backend.release({ lockId: other.lockId })).ok, true);
    assert.equal(await ctx.backend.isLocked({ key }), true, "releasing another key freed this one");
    assert.equal((await ctx.backend.release({ lockId: lock.lockId })).ok, true);
  });

  ctx.test(
    "release.stale",
    "a released holder's lockId cannot release the next holder",
    async () => {
      const key = uniqueKey("rel-stale");
      const first = await mustAcquire(ctx.backend, key, ctx.ms(5_000));
      assert.equal((await ctx.backend.release({ lockId: first.lockId })).ok, true);
      const second = await mustAcquire(ctx.backend, key, ctx.ms(5_000));
      assert.equal(
        (await ctx.backend.release({ lockId: first.lockId })).ok,
        false,
        "the released lockId released the new holder",
      );
      assert.equal(
        await ctx.backend.isLocked({ key }),
        true,
        "the stale lockId freed the new holder",
      );
      assert.equal((await ctx.backend.release({ lockId: second.lockId })).ok, true);
    },
  );

  ctx.test(
    "release.stale",
    "an expired holder's lockId cannot release the next holder",
    async () => {
      const key = uniqueKey("rel-expired");
      const { expired: first, next: second } = await expireAndReacquire(ctx.backend, key, {
        ttlMs: ctx.ms(200),
        nextTtlMs: ctx.ms(5_000),
        slackMs: ctx.ms(3_000),
      });
      const stale = await ctx.backend.release({ lockId: first.lockId });
      assert.equal(stale.ok, false, "the expired lockId released the new holder");
      assert.equal(
        await ctx.backend.isLocked({ key }),
        true,
        "the expired lockId freed the new holder",
      );
      assert.equal((await ctx.backend.release({ lockId: second.lockId })).ok, true);
    },
    { waitsOnClock: true },
  );

  ctx.test("release.unknown", "releasing an unknown lockId returns ok false", async () => {
    assert.equal((await ctx.backend.release({ lockId: foreignLockId() })).ok, false);
    assert.equal((await ctx.backend.release({ lockId: "A".repeat(36) })).ok, false);
  });
}
