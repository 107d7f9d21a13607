import { createHash } from "node:crypto";
import { LockError } from "../src";
import {
  compareFence,
  FENCE_DIGITS,
  formatFence,
  generateLockId,
  isFence,
  KEY_TAG_LENGTH,
  keyTag,
  LOCK_ID_LENGTH,
  lockIdKeyTag,
  MAX_FENCE,
  parseFence,
  validateLockId,
  validateLockIdForKey,
} from "../src/for-drivers";

describe("lockId", () => {
  it("is 36 URL-safe characters and unique", () => {
    const ids = new Set(Array.from({ length: 5000 }, () => generateLockId("job")));
    expect(ids.size).toBe(5000);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{36}$/);
    expect(LOCK_ID_LENGTH).toBe(36);
  });
  it("ends in the key tag: SHA-256 of the key, pinned so lockIds name the same record across versions", () => {
    // The tag decides Redis record names: a change would split one key's lock in two.
    expect(keyTag("a")).toBe("ypeBEsobvcr6");
    expect(keyTag("🔒 lock:émoji/✓")).toHaveLength(KEY_TAG_LENGTH);
    // The first 9 bytes of SHA-256 of the UTF-8, whichever hashing API the runtime offers.
    const digest = createHash("sha256").update("🔒 lock:émoji/✓", "utf8").digest();
    expect(keyTag("🔒 lock:émoji/✓")).toBe(digest.toString("base64url", 0, 9));
    expect(lockIdKeyTag(generateLockId("a"))).toBe(keyTag("a"));
    expect(keyTag("job:1")).not.toBe(keyTag("job:2"));
  });
  it("validateLockIdForKey accepts an id made for the key and refuses one made for another", () => {
    const id = generateLockId("payment:1");
    expect(validateLockIdForKey(id, "payment:1")).toBe(id);
    expect(() => validateLockIdForKey(id, "payment:2")).toThrow(/not generated for this key/);
    expect(() => validateLockIdForKey("short", "payment:1")).toThrow(/Invalid lockId format/);
  });
  it.each([
    "",
    "short",
    "x".repeat(35),
    "x".repeat(37),
    `${"x".repeat(35)}+`,
    `${"x".repeat(35)}/`,
    `${"x".repeat(35)}=`,
    ` ${"x".repeat(35)}`,
    null,
    undefined,
    42,
  ])("rejects malformed id %p", (bad) => {
    expect(() => validateLockId(bad)).toThrow(LockError);
    expect(() => validateLockId(bad)).toThrow(/Invalid lockId format/);
  });

  it("never echoes the rejected value: a lockId with a stray character is still a secret", () => {
    const secret = generateLockId("payment:1");
    for (const bad of [`${secret} `, ` ${secret}`, `${secret}\n`, secret.slice(1)]) {
      const message = (() => {
        try {
          validateLockId(bad);
        } catch (error) {
          return (error as Error).message;
        }
        return "";
      })();
      expect(message).toMatch(/Invalid lockId format/);
      expect(message).not.toContain(secret.slice(1, 20));
    }
  });
});

describe("fence", () => {
  it("is fixed-width so string order equals numeric order", () => {
    const values = [1, 9, 10, 99, 100, 123456789, MAX_FENCE];
    const fences = values.map(formatFence);
    for (const f of fences) expect(f).toHaveLength(FENCE_DIGITS);
    expect([...fences].sort()).toEqual(fences);
    expect(compareFence(formatFence(9), formatFence(10))).toBeLessThan(0);
    expect(compareFence(formatFence(10), formatFence(10))).toBe(0);
    expect(compareFence(formatFence(11), formatFence(10))).toBeGreaterThan(0);
  });
  it("round-trips through parseFence and rejects bad values", () => {
    expect(parseFence(formatFence(42))).toBe(42n);
    expect(isFence("000000000000001")).toBe(true);
    expect(isFence("1")).toBe(false);
    expect(() => parseFence("12a")).toThrow(LockError);
    expect(() => compareFence("1", "000000000000001")).toThrow(LockError);
  });
  it("refuses values outside 1..MAX_FENCE", () => {
    expect(() => formatFence(0)).toThrow(/outside/);
    expect(() => formatFence(MAX_FENCE + 1)).toThrow(/outside/);
    expect(formatFence(BigInt(MAX_FENCE))).toBe("900000000000000");
  });
});
