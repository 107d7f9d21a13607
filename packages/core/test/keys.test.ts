import { LockError } from "../src";
import {
  DIGEST_HEX_CHARS,
  keyDigest,
  MAX_KEY_BYTES,
  normalizeKey,
  READABLE_KEY_BYTES,
  type StorageNameRules,
  toStorageName,
  truncateUtf8,
  utf8Bytes,
} from "../src/for-drivers";

const plain: StorageNameRules = { maxBytes: 1500 };
const firestoreLike: StorageNameRules = {
  maxBytes: 1500,
  mustEscape: (c) => c === "/",
  isReserved: (n) => n === "." || n === ".." || /^__.*__$/.test(n),
};

function expectInvalid(fn: () => unknown, message: RegExp) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(LockError);
    expect((error as LockError).code).toBe("InvalidArgument");
    expect((error as LockError).message).toMatch(message);
    return;
  }
  throw new Error("expected InvalidArgument");
}

describe("normalizeKey", () => {
  it("returns the NFC form so composed and decomposed spellings are one key", () => {
    expect(normalizeKey("cafe\u0301")).toBe("caf\u00e9");
    expect(normalizeKey("caf\u00e9")).toBe("caf\u00e9");
  });
  it("rejects empty, non-string and lone-surrogate keys", () => {
    expectInvalid(() => normalizeKey(""), /must not be empty/);
    expectInvalid(() => normalizeKey(42), /must be a string/);
    expectInvalid(() => normalizeKey(undefined), /must be a string/);
    expectInvalid(() => normalizeKey("a\uD800b"), /well-formed/);
    expectInvalid(() => normalizeKey("\uDC00"), /well-formed/);
  });
  it("accepts keys up to the hard bound and rejects one byte more", () => {
    expect(normalizeKey("x".repeat(MAX_KEY_BYTES))).toHaveLength(MAX_KEY_BYTES);
    expectInvalid(() => normalizeKey("x".repeat(MAX_KEY_BYTES + 1)), /exceeds maximum length/);
    // The bound is in bytes: 4-byte emoji count four times.
    expectInvalid(() => normalizeKey("😀".repeat(MAX_KEY_BYTES / 4 + 1)), /exceeds maximum length/);
  });
  it("allows any character, whitespace and control characters included", () => {
    for (const key of ["a/b", ".", "..", "__x__", " ", "\u0000", "{tag}", "😀", "ключ"]) {
      expect(normalizeKey(key)).toBe(key);
    }
  });
});

describe("toStorageName", () => {
  it("keeps short plain keys verbatim", () => {
    expect(toStorageName("payment:123", plain)).toBe("payment:123");
  });
  it.each([511, 512])("keeps a %i-byte key verbatim", (n) => {
    expect(toStorageName("k".repeat(n), plain)).toBe("k".repeat(n));
  });
  it.each([513, 2000, MAX_KEY_BYTES])(
    "hashes a %i-byte key to 512 readable bytes plus a digest",
    (n) => {
      const key = "k".repeat(n);
      const name = toStorageName(key, plain);
      expect(name).toBe(`${"k".repeat(READABLE_KEY_BYTES)}~${keyDigest(key)}`);
      expect(utf8Bytes(name)).toBe(READABLE_KEY_BYTES + 1 + DIGEST_HEX_CHARS);
    },
  );
  it("never maps keys that differ only after the 512-byte cut to one name", () => {
    const base = "p".repeat(1999);
    const names = new Set(
      ["a", "b", "c", "\u00e9"].map((tail) => toStorageName(base + tail, plain)),
    );
    expect(names.size).toBe(4);
  });
  it("maps NFC-equivalent keys to the same name (after normalizeKey)", () => {
    expect(toStorageName(normalizeKey("cafe\u0301"), plain)).toBe(
      toStorageName(normalizeKey("caf\u00e9"), plain),
    );
  });
  it("escapes forbidden characters and appends a digest, keeping names distinct", () => {
    expect(toStorageName("a/b", firestoreLike)).toBe(`a%2Fb~${keyDigest("a/b")}`);
    // "a%2Fb" written literally must not meet the escaped "a/b".
    expect(toStorageName("a%2Fb", firestoreLike)).toBe("a%2Fb");
    expect(toStorageName("a%2Fb", firestoreLike)).not.toBe(toStorageName("a/b", firestoreLike));
  });
  it("never returns a reserved name", () => {
    for (const key of [".", "..", "__x__", "____"]) {
      const name = toStorageName(key, firestoreLike);
      expect(name).not.toBe(key);
      expect(firestoreLike.isReserved?.(name)).toBe(false);
      expect(name.endsWith(keyDigest(key))).toBe(true);
    }
  });
  it("treats the separator as needing a digest so verbatim and hashed names cannot meet", () => {
    const tricky = `x~${keyDigest("x".repeat(600))}`;
    expect(toStorageName(tricky, plain)).not.toBe(toStorageName("x".repeat(600), plain));
    expect(toStorageName("a~b", plain)).toBe(`a~b~${keyDigest("a~b")}`);
  });
  it("respects a smaller byte budget and never splits a character", () => {
    const name = toStorageName("é".repeat(300), { maxBytes: 100 });
    expect(utf8Bytes(name)).toBeLessThanOrEqual(100);
    expect(name).toBe(`${"é".repeat(33)}~${keyDigest("é".repeat(300))}`);
  });
  it("rejects a budget too small for a digest", () => {
    expectInvalid(() => toStorageName("k", { maxBytes: 10 }), /too small/);
  });
  it("produces no collisions over many random keys", () => {
    const seen = new Map<string, string>();
    for (let i = 0; i < 2000; i++) {
      const key = `${"/.~_".charAt(i % 4)}${i.toString(36)}${"z".repeat(i % 700)}`;
      const name = toStorageName(key, firestoreLike);
      expect(seen.get(name) ?? key).toBe(key);
      seen.set(name, key);
    }
  });
});

describe("helpers", () => {
  it("truncateUtf8 cuts on code point boundaries", () => {
    expect(truncateUtf8("a😀b", 4)).toBe("a");
    expect(truncateUtf8("a😀b", 5)).toBe("a😀");
  });
});
