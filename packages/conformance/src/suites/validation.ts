import assert from "node:assert/strict";
import { MAX_KEY_BYTES, MAX_TTL_MS } from "@syncguard/core/driver";
import { fenceOf, mustAcquire, type SuiteContext } from "../context";
import { rejectsWithCode, uniqueKey } from "../helpers";

const BAD_KEYS: readonly unknown[] = ["", 42, null, undefined, "k".repeat(MAX_KEY_BYTES + 1)];
const BAD_LOCK_IDS: readonly unknown[] = [
  "",
  "short",
  "A".repeat(35),
  "A".repeat(37),
  `${"A".repeat(35)}=`, // 36 chars, but "=" is not base64url
  "abc+def/ghi+jkl/mno+pqr/stu+vwx/yz01", // standard base64, not base64url
  "spaces are not allowed in a lockId!!",
  null,
  42,
];
const BAD_TTLS: readonly unknown[] = [
  0,
  -1,
  1.5,
  Number.NaN,
  Infinity,
  "1000",
  null,
  undefined,
  MAX_TTL_MS + 1,
];

const show = (value: unknown): string =>
  typeof value === "string" ? JSON.stringify(value.slice(0, 30)) : String(value);

export function validationSuite(ctx: SuiteContext): void {
  ctx.test("input.key", "acquire, isLocked, lookup and subscribe reject invalid keys", async () => {
    const b = ctx.backend;
    for (const key of BAD_KEYS) {
      await rejectsWithCode(
        () => b.acquire({ key, ttlMs: 1_000 }),
        "InvalidArgument",
        `acquire key ${show(key)}`,
      );
      await rejectsWithCode(
        () => b.isLocked({ key }),
        "InvalidArgument",
        `isLocked key ${show(key)}`,
      );
      await rejectsWithCode(() => b.lookup({ key }), "InvalidArgument", `lookup key ${show(key)}`);
      if (b.subscribe && typeof key === "string") {
        const subscribe = b.subscribe.bind(b);
        await rejectsWithCode(
          async () => (await subscribe(key, () => {}))(),
          "InvalidArgument",
          `subscribe key ${show(key)}`,
        );
      }
    }
  });

  ctx.test("input.lock-id", "release, extend and lookup reject malformed lockIds", async () => {
    const b = ctx.backend;
    for (const lockId of BAD_LOCK_IDS) {
      await rejectsWithCode(
        () => b.release({ lockId }),
        "InvalidArgument",
        `release ${show(lockId)}`,
      );
      await rejectsWithCode(
        () => b.extend({ lockId, ttlMs: 1_000 }),
        "InvalidArgument",
        `extend ${show(lockId)}`,
      );
      await rejectsWithCode(
        () => b.lookup({ lockId }),
        "InvalidArgument",
        `lookup ${show(lockId)}`,
      );
    }
  });

  ctx.test(
    "input.ttl",
    "acquire and extend reject a ttlMs that is not a positive integer",
    async () => {
      const key = uniqueKey("input-ttl");
      const lock = await mustAcquire(ctx.backend, key, ctx.ms(5_000));
      for (const ttlMs of BAD_TTLS) {
        await rejectsWithCode(
          () => ctx.backend.acquire({ key: uniqueKey("input-ttl-free"), ttlMs }),
          "InvalidArgument",
          `acquire ttlMs ${show(ttlMs)}`,
        );
        await rejectsWithCode(
          () => ctx.backend.extend({ lockId: lock.lockId, ttlMs }),
          "InvalidArgument",
          `extend ttlMs ${show(ttlMs)}`,
        );
      }
      // The bounds themselves are valid.
      assert.equal((await ctx.backend.extend({ lockId: lock.lockId, ttlMs: MAX_TTL_MS })).ok, true);
      assert.equal(
        (await ctx.backend.extend({ lockId: lock.lockId, ttlMs: ctx.ms(5_000) })).ok,
        true,
      );
      const tiny = await mustAcquire(ctx.backend, uniqueKey("input-ttl-one"), 1);
      assert.equal(typeof tiny.lockId, "string");
    },
  );

  ctx.test(
    "input.no-state-change",
    "rejected calls leave held and free keys as they were",
    async () => {
      const key = uniqueKey("input-state");
      const freeKey = uniqueKey("input-state-free");
      const lock = await mustAcquire(ctx.backend, key, ctx.ms(10_000));
      const attempts: Array<() => Promise<unknown>> = [
        ...BAD_TTLS.map((ttlMs) => () => ctx.backend.acquire({ key: freeKey, ttlMs })),
        ...BAD_TTLS.map((ttlMs) => () => ctx.backend.acquire({ key, ttlMs })),
        ...BAD_TTLS.map((ttlMs) => () => ctx.backend.extend({ lockId: lock.lockId, ttlMs })),
        ...BAD_LOCK_IDS.map((lockId) => () => ctx.backend.release({ lockId })),
        () => ctx.backend.lookup({ key, lockId: lock.lockId }),
      ];
      // Concurrently, as a burst of bad calls from many callers would arrive.
      await Promise.all(
        attempts.map((attempt) => rejectsWithCode(attempt, "InvalidArgument", "bad call")),
      );
      assert.equal(
        await ctx.backend.isLocked({ key: freeKey }),
        false,
        "a rejected acquire took the key",
      );
      const info = await ctx.backend.lookup({ key });
      assert.ok(info, "a rejected call freed the held lock");
      assert.equal(info.expiresAtMs, lock.expiresAtMs, "a rejected call changed the expiry");
      if (ctx.fencing) assert.equal(info.fence, fenceOf(lock), "a rejected call changed the fence");
      assert.equal((await ctx.backend.release({ lockId: lock.lockId })).ok, true);
    },
  );
}
