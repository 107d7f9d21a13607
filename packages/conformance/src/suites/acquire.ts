import assert from "node:assert/strict";
import {
  generateLockId,
  isFence,
  LOCK_ID_LENGTH,
  normalizeKey,
  TIME_TOLERANCE_MS,
} from "@syncguard/core/driver";
import { type AcquiredLock, fenceOf, mustAcquire, type SuiteContext } from "../context";
import { timed, uniqueKey } from "../helpers";

const LOCK_ID_PATTERN = /^[A-Za-z0-9_-]+$/;

export function acquireSuite(ctx: SuiteContext): void {
  ctx.test("acquire.result", "a free key is acquired with a well-formed result", async () => {
    const ttlMs = ctx.ms(5_000);
    const { value, t0, t1 } = await timed(() =>
      ctx.backend.acquire({ key: uniqueKey("acq-result"), ttlMs }),
    );
    assert.equal(value.ok, true);
    const lock = value as AcquiredLock;
    assert.equal(typeof lock.lockId, "string");
    assert.equal(lock.lockId.length, LOCK_ID_LENGTH, `lockId must be ${LOCK_ID_LENGTH} characters`);
    assert.match(lock.lockId, LOCK_ID_PATTERN, "lockId must be base64url");
    assert.ok(Number.isFinite(lock.expiresAtMs), "expiresAtMs must be a finite number");
    // The backend's clock may differ from ours by up to the tolerance (server time authority).
    assert.ok(
      lock.expiresAtMs >= t0 + ttlMs - TIME_TOLERANCE_MS &&
        lock.expiresAtMs <= t1 + ttlMs + TIME_TOLERANCE_MS,
      `expiresAtMs ${lock.expiresAtMs} must be about now + ttlMs (${t0 + ttlMs}..${t1 + ttlMs})`,
    );
    if (ctx.fencing) assert.ok(isFence(lock.fence), `fence ${lock.fence} must be 15 digits`);
  });

  ctx.test("acquire.unique-id", "each acquisition gets a fresh lockId", async () => {
    const key = uniqueKey("acq-unique");
    const seen = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const lock = await mustAcquire(ctx.backend, key, ctx.ms(5_000));
      assert.ok(!seen.has(lock.lockId), "lockId was reused");
      seen.add(lock.lockId);
      assert.equal((await ctx.backend.release({ lockId: lock.lockId })).ok, true);
    }
    const other = await mustAcquire(ctx.backend, uniqueKey("acq-unique-b"), ctx.ms(5_000));
    assert.ok(!seen.has(other.lockId), "lockId was reused across keys");
  });

  ctx.test("acquire.contention", 'a second acquire of a held key reports "locked"', async () => {
    const key = uniqueKey("acq-contention");
    const ttlMs = ctx.ms(5_000);
    const held = await mustAcquire(ctx.backend, key, ttlMs);
    const second = await ctx.backend.acquire({ key, ttlMs });
    assert.equal(second.ok, false);
    if (second.ok) return;
    assert.equal(second.reason, "locked");
    assert.ok(
      !JSON.stringify(second).includes(held.lockId),
      "a locked result must not leak the lockId",
    );
    const holder = second.holder;
    if (holder?.fence !== undefined) {
      assert.equal(typeof holder.fence, "string");
      if (ctx.fencing)
        assert.equal(holder.fence, fenceOf(held), "holder.fence is the holder's fence");
    }
    if (holder?.remainingMs !== undefined) {
      assert.ok(
        holder.remainingMs > 0 && holder.remainingMs <= ttlMs + TIME_TOLERANCE_MS,
        `holder.remainingMs ${holder.remainingMs} must be in (0, ttlMs + tolerance]`,
      );
    }
    assert.equal(await ctx.backend.isLocked({ key }), true, "the holder still holds the key");
  });

  ctx.test(
    "acquire.atomic",
    "parallel acquires of one free key have exactly one winner",
    async () => {
      const key = uniqueKey("acq-atomic");
      const results = await Promise.all(
        Array.from({ length: 6 }, () => ctx.backend.acquire({ key, ttlMs: ctx.ms(5_000) })),
      );
      const winners = results.filter((result) => result.ok);
      assert.equal(winners.length, 1, `expected exactly one winner, got ${winners.length}`);
      for (const result of results) if (!result.ok) assert.equal(result.reason, "locked");
    },
  );

  ctx.test("acquire.independent", "locks on different keys do not interfere", async () => {
    const keys = [uniqueKey("acq-ind-a"), uniqueKey("acq-ind-b"), uniqueKey("acq-ind-c")];
    const locks = await Promise.all(
      keys.map((key) => mustAcquire(ctx.backend, key, ctx.ms(5_000))),
    );
    const [a, b] = locks as [AcquiredLock, AcquiredLock];
    assert.equal((await ctx.backend.release({ lockId: a.lockId })).ok, true);
    assert.equal(await ctx.backend.isLocked({ key: keys[0] }), false);
    assert.equal(await ctx.backend.isLocked({ key: keys[1] }), true, "releasing A freed B");
    assert.equal(await ctx.backend.isLocked({ key: keys[2] }), true, "releasing A freed C");
    assert.equal((await ctx.backend.release({ lockId: b.lockId })).ok, true);
  });

  ctx.test("acquire.reacquire", "a released key can be acquired again at once", async () => {
    const key = uniqueKey("acq-again");
    for (let i = 0; i < 5; i++) {
      const lock = await mustAcquire(ctx.backend, key, ctx.ms(5_000));
      assert.equal((await ctx.backend.release({ lockId: lock.lockId })).ok, true);
    }
  });

  ctx.test(
    "acquire.same-lockid",
    "an acquire repeated under its own lockId returns the same lock, unchanged",
    async () => {
      const key = uniqueKey("acq-same-id");
      const ttlMs = ctx.ms(5_000);
      const lockId = generateLockId(normalizeKey(key));
      const first = await mustAcquire(ctx.backend, key, ttlMs, lockId);
      assert.equal(first.lockId, lockId, "the lock must be taken under the given lockId");
      const again = await ctx.backend.acquire({ key, ttlMs, lockId });
      assert.equal(again.ok, true, "a retry under the holder's own lockId must succeed");
      const same = again as AcquiredLock;
      assert.equal(same.lockId, lockId);
      assert.equal(same.expiresAtMs, first.expiresAtMs, "the lock must be reported unchanged");
      if (ctx.fencing) assert.equal(same.fence, first.fence, "no new fence for the same lock");
      const other = await ctx.backend.acquire({ key, ttlMs });
      assert.equal(other.ok, false, "another caller is still turned away");
      await assert.rejects(
        ctx.backend.acquire({ key: uniqueKey("acq-same-id-b"), ttlMs, lockId }),
        (error: unknown) => (error as { code?: string }).code === "InvalidArgument",
        "a lockId made for another key must be refused",
      );
      assert.equal((await ctx.backend.release({ lockId })).ok, true);
      assert.equal(await ctx.backend.isLocked({ key }), false);
    },
  );
}
