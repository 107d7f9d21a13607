import assert from "node:assert/strict";
import {
  keyDigest,
  MAX_KEY_BYTES,
  READABLE_KEY_BYTES,
  TIME_TOLERANCE_MS,
  truncateUtf8,
  utf8Bytes,
} from "@syncguard/core/driver";
import { type AcquiredLock, mustAcquire, type SuiteContext } from "../context";
import { eventually, rejectsWithCode, uniqueKey } from "../helpers";

/** `prefix` padded with `fill` to exactly `bytes` UTF-8 bytes. */
function keyOfBytes(prefix: string, bytes: number, fill = "k"): string {
  const key = prefix + fill.repeat(bytes - utf8Bytes(prefix));
  assert.equal(utf8Bytes(key), bytes);
  return key;
}

// Whole keys that storage layers treat specially: they are tested verbatim, not prefixed.
const EXACT_KEYS = [".", "..", "__x__", "~", " ", "\t\n", "\u0000\u0007", "x".repeat(2000)];

export function keysSuite(ctx: SuiteContext): void {
  /** Acquires every key at once and checks each is its own lock, then frees them. */
  const assertIndependent = async (
    keys: string[],
    acquire = (key: string) => mustAcquire(ctx.backend, key, ctx.ms(5_000)),
  ) => {
    assert.equal(new Set(keys).size, keys.length, "test keys must be distinct");
    const locks: AcquiredLock[] = [];
    for (const key of keys) locks.push(await acquire(key));
    for (const [i, key] of keys.entries()) {
      const info = await ctx.backend.lookup({ key });
      assert.equal(info?.key, key, `lookup of key #${i} must return it whole`);
      assert.equal(
        info?.expiresAtMs,
        locks[i]?.expiresAtMs,
        `key #${i} shares a lock with another key`,
      );
    }
    for (const lock of locks)
      assert.equal((await ctx.backend.release({ lockId: lock.lockId })).ok, true);
    for (const key of keys) assert.equal(await ctx.backend.isLocked({ key }), false);
  };

  ctx.test("keys.nfc", "composed and decomposed spellings are the same lock", async () => {
    const prefix = uniqueKey("keys-nfc");
    for (const [composed, decomposed] of [
      ["caf\u00e9", "cafe\u0301"],
      ["\ud55c", "\u1112\u1161\u11ab"],
    ] as const) {
      const lock = await mustAcquire(ctx.backend, prefix + composed, ctx.ms(5_000));
      assert.equal(
        (await ctx.backend.acquire({ key: prefix + decomposed, ttlMs: 1_000 })).ok,
        false,
      );
      assert.equal(await ctx.backend.isLocked({ key: prefix + decomposed }), true);
      assert.equal(
        (await ctx.backend.lookup({ key: prefix + decomposed }))?.key,
        prefix + composed,
      );
      assert.equal((await ctx.backend.release({ lockId: lock.lockId })).ok, true);
      assert.equal(await ctx.backend.isLocked({ key: prefix + decomposed }), false);
    }
  });

  ctx.test("keys.special", "keys with special characters each lock independently", async () => {
    const prefix = uniqueKey("keys-special");
    const suffixes = [
      "a/b",
      "a\\b",
      "/",
      ".",
      "..",
      "__x__",
      "{tag}",
      "{tag}x",
      "key:with:colons",
      "~",
      "%2F",
      "a b",
      "\u0000\u0007",
      "\u{1F512}\u{1F680}",
      "\u30ed\u30c3\u30af\u9375",
      "Key",
      "key",
    ];
    await assertIndependent(suffixes.map((suffix) => prefix + suffix));
  });

  ctx.test(
    "keys.special",
    "whole keys '.', '..', '__x__', '~', whitespace, control characters and \"x\".repeat(2000) work",
    async () => {
      // Not unique per run: wait out any lock a crashed earlier run left (short TTL below).
      const ttlMs = ctx.ms(5_000);
      await assertIndependent(EXACT_KEYS, async (key) => {
        let lock: AcquiredLock | undefined;
        await eventually(
          async () => {
            const attempt = await ctx.backend.acquire({ key, ttlMs });
            if (attempt.ok) lock = attempt;
            return attempt.ok;
          },
          ttlMs + TIME_TOLERANCE_MS + ctx.ms(2_000),
        );
        return lock as AcquiredLock;
      });
    },
    { timeoutMs: 30_000 },
  );

  ctx.test("keys.long", "keys around the readable limit and up to MAX_KEY_BYTES work", async () => {
    const prefix = uniqueKey("keys-long");
    const keys = [
      keyOfBytes(prefix, READABLE_KEY_BYTES - 1),
      keyOfBytes(prefix, READABLE_KEY_BYTES),
      keyOfBytes(prefix, READABLE_KEY_BYTES + 1),
      keyOfBytes(prefix, 2000, "x"),
      keyOfBytes(prefix, MAX_KEY_BYTES, "m"),
      // A 4-byte character straddling the readable limit must not be split into garbage.
      keyOfBytes(prefix, READABLE_KEY_BYTES - 2) + "\u{1F512}".repeat(4),
    ];
    await assertIndependent(keys);
  });

  ctx.test(
    "keys.distinct",
    "long keys differing only in their last byte are different locks",
    async () => {
      const body = keyOfBytes(uniqueKey("keys-distinct"), 1999, "y");
      await assertIndependent([`${body}a`, `${body}b`]);
      const mid = keyOfBytes(uniqueKey("keys-distinct-mid"), 700, "z");
      await assertIndependent([`${mid}1${"z".repeat(300)}`, `${mid}2${"z".repeat(300)}`]);
    },
  );

  ctx.test(
    "keys.distinct",
    "keys shaped like escaped or hashed storage names do not collide",
    async () => {
      const prefix = uniqueKey("keys-shape");
      const long = keyOfBytes(prefix, 600, "h");
      const hashedShape = `${truncateUtf8(long, READABLE_KEY_BYTES)}~${keyDigest(long)}`;
      await assertIndependent([
        `${prefix}a/b`,
        `${prefix}a%2Fb`,
        `${prefix}a%2fb`,
        `${prefix}a_b`,
        long,
        hashedShape,
        `${prefix}~${keyDigest(`${prefix}a/b`)}`,
      ]);
    },
  );

  ctx.test(
    "keys.invalid",
    "empty, non-string, ill-formed and oversized keys are rejected",
    async () => {
      const oversized = keyOfBytes(uniqueKey("keys-oversized"), MAX_KEY_BYTES + 1);
      for (const key of ["", 42, null, undefined, {}, "a\ud800b", oversized]) {
        await rejectsWithCode(
          () => ctx.backend.acquire({ key, ttlMs: ctx.ms(1_000) }),
          "InvalidArgument",
          `acquire with key ${JSON.stringify(key)?.slice(0, 40)}`,
        );
      }
      assert.equal(await ctx.backend.isLocked({ key: oversized.slice(0, MAX_KEY_BYTES) }), false);
    },
  );
}
