import assert from "node:assert/strict";
import { getById, getByKey, owns } from "@syncguard/core";
import { hashLockId, TIME_TOLERANCE_MS } from "@syncguard/core/driver";
import {
  type AcquiredLock,
  asLockBackend,
  mustAcquire,
  type SeenLockInfo,
  type SuiteContext,
} from "../context";
import { eventually, foreignLockId, rejectsWithCode, timed, uniqueKey } from "../helpers";

export function lookupSuite(ctx: SuiteContext): void {
  /** Asserts that `info` describes `lock` on `key`, acquired between t0 and t1. */
  const assertDescribes = (
    info: SeenLockInfo | null,
    key: string,
    lock: AcquiredLock,
    t0: number,
    t1: number,
  ) => {
    assert.ok(info, "lookup of a live lock returned null");
    assert.equal(info.key, key.normalize("NFC"), "info.key must be the normalized key");
    assert.equal(info.lockIdHash, hashLockId(lock.lockId));
    assert.equal(info.expiresAtMs, lock.expiresAtMs, "expiresAtMs must equal acquire's");
    assert.ok(Number.isFinite(info.acquiredAtMs), "acquiredAtMs must be a number");
    assert.ok(info.acquiredAtMs <= info.expiresAtMs, "acquiredAtMs must not be after expiry");
    assert.ok(
      info.acquiredAtMs >= t0 - TIME_TOLERANCE_MS && info.acquiredAtMs <= t1 + TIME_TOLERANCE_MS,
      `acquiredAtMs ${info.acquiredAtMs} must be the acquire time (${t0}..${t1})`,
    );
    if (ctx.fencing) assert.equal(info.fence, lock.fence, "fence must equal acquire's");
  };

  const acquireTimed = async (key: string) => {
    const { value, t0, t1 } = await timed(() => mustAcquire(ctx.backend, key, ctx.ms(5_000)));
    return { lock: value, t0, t1 };
  };

  ctx.test("lookup.by-key", "lookup by key describes the live lock", async () => {
    // Decomposed spelling: the info must carry the NFC form.
    const key = uniqueKey("lkp-key-cafe\u0301");
    const { lock, t0, t1 } = await acquireTimed(key);
    assertDescribes(await ctx.backend.lookup({ key }), key, lock, t0, t1);
  });

  ctx.test("lookup.by-lock-id", "lookup by lockId describes the live lock", async () => {
    const key = uniqueKey("lkp-id");
    const { lock, t0, t1 } = await acquireTimed(key);
    assertDescribes(await ctx.backend.lookup({ lockId: lock.lockId }), key, lock, t0, t1);
  });

  ctx.test("lookup.secrecy", "lookup never reveals the lockId", async () => {
    const key = uniqueKey("lkp-secret");
    const lock = await mustAcquire(ctx.backend, key, ctx.ms(5_000));
    for (const info of [
      await ctx.backend.lookup({ key }),
      await ctx.backend.lookup({ lockId: lock.lockId }),
    ]) {
      assert.ok(info);
      assert.ok(!("lockId" in info), "info has a lockId property");
      assert.ok(!JSON.stringify(info).includes(lock.lockId), "info's JSON contains the lockId");
      assert.match(info.lockIdHash, /^[0-9a-f]{16}$/);
    }
  });

  ctx.test("lookup.absent", "null for unused and released locks, by key and lockId", async () => {
    const key = uniqueKey("lkp-absent");
    assert.equal(await ctx.backend.lookup({ key }), null);
    assert.equal(await ctx.backend.lookup({ lockId: foreignLockId(key) }), null);
    const lock = await mustAcquire(ctx.backend, key, ctx.ms(5_000));
    assert.equal(await ctx.backend.lookup({ lockId: foreignLockId(key) }), null);
    assert.equal((await ctx.backend.release({ lockId: lock.lockId })).ok, true);
    assert.equal(await ctx.backend.lookup({ key }), null);
    assert.equal(await ctx.backend.lookup({ lockId: lock.lockId }), null);
  });

  ctx.test(
    "lookup.absent",
    "null for an expired lock, by key and lockId",
    async () => {
      const key = uniqueKey("lkp-expired");
      const ttlMs = ctx.ms(200);
      const lock = await mustAcquire(ctx.backend, key, ttlMs);
      await eventually(
        async () => {
          return (
            (await ctx.backend.lookup({ key })) === null &&
            (await ctx.backend.lookup({ lockId: lock.lockId })) === null
          );
        },
        ttlMs + TIME_TOLERANCE_MS + ctx.ms(3_000),
      );
    },
    { waitsOnClock: true },
  );

  ctx.test(
    "lookup.stale",
    "lookup by an old lockId is null once a newer holder has the key",
    async () => {
      const key = uniqueKey("lkp-stale");
      const first = await mustAcquire(ctx.backend, key, ctx.ms(5_000));
      assert.equal((await ctx.backend.release({ lockId: first.lockId })).ok, true);
      const second = await mustAcquire(ctx.backend, key, ctx.ms(5_000));
      assert.equal(await ctx.backend.lookup({ lockId: first.lockId }), null);
      const info = await ctx.backend.lookup({ key });
      assert.equal(
        info?.lockIdHash,
        hashLockId(second.lockId),
        "lookup by key shows the new holder",
      );
    },
  );

  ctx.test(
    "lookup.one-target",
    "both or neither of key and lockId is InvalidArgument",
    async () => {
      const key = uniqueKey("lkp-target");
      const lock = await mustAcquire(ctx.backend, key, ctx.ms(5_000));
      await rejectsWithCode(
        () => ctx.backend.lookup({ key, lockId: lock.lockId }),
        "InvalidArgument",
        "lookup with key and lockId",
      );
      await rejectsWithCode(() => ctx.backend.lookup({}), "InvalidArgument", "lookup with neither");
    },
  );

  ctx.test("lookup.helpers", "getByKey, getById and owns agree with lookup", async () => {
    const backend = asLockBackend(ctx.backend);
    const key = uniqueKey("lkp-helpers");
    const lock = await mustAcquire(ctx.backend, key, ctx.ms(5_000));
    const byKey = await getByKey(backend, key);
    assert.deepEqual(byKey, await ctx.backend.lookup({ key }));
    assert.deepEqual(await getById(backend, lock.lockId), byKey);
    assert.equal(await owns(backend, lock.lockId), true);
    assert.equal(await owns(backend, foreignLockId()), false);
    assert.equal((await ctx.backend.release({ lockId: lock.lockId })).ok, true);
    assert.equal(await owns(backend, lock.lockId), false);
    assert.equal(await getByKey(backend, key), null);
    assert.equal(await getById(backend, lock.lockId), null);
  });
}
