import assert from "node:assert/strict";
import {
  acquirePermit,
  forceReleasePermit,
  getSemaphore,
  isLockError,
  type LockHandle,
  listLocks,
  type PermitSummary,
} from "@syncguard/core";
import { type BackendCapabilities, compareFence, hashLockId } from "@syncguard/core/driver";
import { asLockBackend, mustAcquire, type SuiteContext } from "../context";
import { rejectsWithCode, uniqueKey } from "../helpers";

/** What a listed permit may show: never a lockId. */
const PERMIT_FIELDS = ["acquiredAtMs", "expiresAtMs", "fence", "holderId", "key", "permits"];
const silent = { warn() {}, error() {} };

export function skipOperators(ctx: SuiteContext, reason: string): void {
  ctx.skip("semaphore.inventory", "listLocks and getSemaphore show permits", reason);
  ctx.skip("semaphore.force", "forceReleasePermit forces exactly one permit out", reason);
}

/**
 * Operators and semaphores (ADR-041): permits show in listings and by semaphore key, with a holder
 * id and never a lockId, and one permit can be forced out without touching the others or the
 * fence counter.
 */
export function semaphoreOperatorsSuite(ctx: SuiteContext): void {
  const backend = () => asLockBackend(ctx.backend);

  ctx.test(
    "semaphore.inventory",
    "listLocks with limit 1 shows each live permit under a prefix once, after the locks, with its holder id and no lockId; getSemaphore shows the holders",
    async () => {
      const prefix = `${uniqueKey("permit-inventory")}/`;
      const take = (name: string, permits: number) =>
        acquirePermit(backend(), { key: `${prefix}${name}`, permits, ttlMs: ctx.ms(30_000) });
      const held = [await take("a", 2), await take("a", 2), await take("b", 1)];
      const gone = await take("gone", 1);
      await gone.release();
      const outside = await acquirePermit(backend(), {
        key: `${prefix.slice(0, -1)}-outside`,
        permits: 1,
        ttlMs: ctx.ms(30_000),
      });
      const lock = await mustAcquire(ctx.backend, `${prefix}lock`, ctx.ms(30_000));
      const secrets = [...held, gone, outside].map((permit) => permit.lockId);
      secrets.push(lock.lockId);
      try {
        const listed: PermitSummary[] = [];
        const lockKeys: string[] = [];
        let cursor: string | undefined;
        for (let pages = 0; ; pages++) {
          assert.ok(pages < 200, "the listing ends");
          const page = await listLocks(backend(), {
            prefix,
            limit: 1,
            ...(cursor ? { cursor } : {}),
          });
          const shown = JSON.stringify(page);
          for (const secret of secrets) assert.ok(!shown.includes(secret), "a page shows a lockId");
          assert.ok(Array.isArray(page.permits), "a backend with permit operators lists permits");
          assert.ok(page.locks.length + page.permits.length <= 1, "limit bounds locks and permits");
          if (page.locks.length > 0) {
            assert.equal(listed.length, 0, "every lock is listed before the first permit");
          }
          lockKeys.push(...page.locks.map((entry) => entry.key));
          listed.push(...page.permits);
          cursor = page.cursor;
          if (!cursor) break;
        }
        assert.deepEqual(lockKeys, [`${prefix}lock`], "the lock is listed with the locks");
        for (const permit of listed) {
          assert.deepEqual(
            Object.keys(permit).filter((field) => !PERMIT_FIELDS.includes(field)),
            [],
            "a listed permit shows its key, holder id, fence, times and permits only",
          );
        }
        const expected = held.map((permit) => `${permit.key} ${hashLockId(permit.lockId)}`);
        assert.deepEqual(
          listed.map((permit) => `${permit.key} ${permit.holderId}`).sort(),
          expected.sort(),
          "each live permit under the prefix is listed exactly once, by its holder id",
        );
        for (const permit of held) {
          const shown = listed.find((entry) => entry.holderId === hashLockId(permit.lockId))!;
          checkShown(ctx, shown, permit, permit.key.endsWith("/a") ? 2 : 1);
        }

        const semaphore = await getSemaphore(backend(), `${prefix}a`);
        assert.ok(semaphore, "getSemaphore finds the live permits");
        assert.equal(semaphore.permits, 2);
        assert.ok(!JSON.stringify(semaphore).includes(held[0]!.lockId), "never a lockId");
        assert.deepEqual(
          semaphore.holders.map((holder) => holder.holderId).sort(),
          held
            .slice(0, 2)
            .map((permit) => hashLockId(permit.lockId))
            .sort(),
        );
        for (const permit of held.slice(0, 2)) {
          const shown = semaphore.holders.find((h) => h.holderId === hashLockId(permit.lockId))!;
          checkShown(ctx, shown, permit, 2);
        }
        assert.equal(await getSemaphore(backend(), `${prefix}gone`), null, "a released one");
        assert.equal(await getSemaphore(backend(), `${prefix}lock`), null, "a lock's key");
      } finally {
        for (const permit of [...held, outside]) await permit.release();
        await ctx.backend.release({ lockId: lock.lockId });
      }
    },
    { timeoutMs: 60_000 },
  );

  ctx.test(
    "semaphore.force",
    "forceReleasePermit by fence and by holder id frees exactly that permit; the others stay; the evicted holder's extend fails with LockLost; fences keep growing",
    async () => {
      const key = uniqueKey("permit-force");
      const options = { key, permits: 2, ttlMs: ctx.ms(30_000), timeoutMs: 0 };
      const evicted = await acquirePermit(backend(), options);
      const kept = await acquirePermit(backend(), options);
      const taken: LockHandle<BackendCapabilities>[] = [evicted, kept];
      try {
        const forced = await forceReleasePermit(backend(), key, {
          ...(ctx.fencing ? { fence: evicted.fence! } : { holderId: hashLockId(evicted.lockId) }),
          logger: silent,
        });
        assert.equal(forced.released, true, "the named permit was live");
        assert.equal(forced.lockIdHash, hashLockId(evicted.lockId), "the named permit went");
        if (ctx.fencing) assert.equal(forced.fence, evicted.fence);
        assert.equal((await kept.extend()).ok, true, "the other permit stays and renews");
        const next = await acquirePermit(backend(), options);
        taken.push(next);
        if (ctx.fencing) {
          assert.ok(compareFence(next.fence!, kept.fence!) > 0, "the fence counter was untouched");
        }
        await rejectsWithCode(
          () => acquirePermit(backend(), options),
          "AcquisitionTimeout",
          "exactly one slot came free",
        );
        assert.equal((await evicted.extend()).ok, false, "the evicted holder cannot renew");
        assert.equal(evicted.signal.aborted, true, "its signal aborts");
        assert.ok(isLockError(evicted.signal.reason, "LockLost"), "with LockLost");
        assert.equal((await evicted.release()).ok, false, "nor release what is not its own");

        const byId = await forceReleasePermit(backend(), key, {
          holderId: hashLockId(next.lockId),
          logger: silent,
        });
        assert.equal(byId.released, true, "a permit named by its holder id");
        const left = await getSemaphore(backend(), key);
        assert.deepEqual(
          left?.holders.map((holder) => holder.holderId),
          [hashLockId(kept.lockId)],
          "only the permit never named is left",
        );
        const again = await forceReleasePermit(backend(), key, {
          holderId: hashLockId(next.lockId),
          logger: silent,
        });
        assert.equal(again.released, false, "a permit already gone is not released twice");
        const last = await acquirePermit(backend(), options);
        taken.push(last);
        if (ctx.fencing) {
          assert.ok(compareFence(last.fence!, next.fence!) > 0, "fences keep growing");
        }
      } finally {
        for (const permit of taken) await permit.release();
      }
    },
    { timeoutMs: 60_000 },
  );
}

/** A permit as an operator sees it matches what its holder was told. */
function checkShown(
  ctx: SuiteContext,
  shown: PermitSummary,
  permit: LockHandle<BackendCapabilities>,
  permits: number,
): void {
  assert.equal(shown.key, permit.key);
  assert.equal(shown.permits, permits, "the semaphore's permits");
  assert.equal(shown.expiresAtMs, permit.expiresAtMs, "the holder's expiry");
  if (ctx.fencing) assert.equal(shown.fence, permit.fence, "the holder's fence");
  if (shown.acquiredAtMs !== undefined) {
    assert.ok(shown.acquiredAtMs <= shown.expiresAtMs, "acquired before it expires");
  }
}
