import { createHash } from "node:crypto";
import { LockError } from "./errors";

/** Hard upper bound on a key, in UTF-8 bytes after NFC normalization. Longer keys are rejected. */
export const MAX_KEY_BYTES = 4096;
/** A storage name keeps at most this many bytes of the key readable (ADR-002). */
export const READABLE_KEY_BYTES = 512;
/** Separates the readable part of a storage name from the digest of the whole key. */
export const DIGEST_SEPARATOR = "~";
/** Hex characters of the SHA-256 digest appended to hashed names (128 bits). */
export const DIGEST_HEX_CHARS = 32;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/**
 * Validates a user key and returns its NFC form: the form every backend stores and compares.
 * Composed and decomposed spellings of the same text are the same lock.
 */
export function normalizeKey(key: unknown): string {
  if (typeof key !== "string") {
    throw new LockError("InvalidArgument", `Key must be a string, got ${typeof key}`);
  }
  if (key.length === 0) throw new LockError("InvalidArgument", "Key must not be empty");
  // A lone surrogate has no UTF-8 form; two different ones would encode alike and share a lock.
  if (LONE_SURROGATE.test(key)) {
    throw new LockError(
      "InvalidArgument",
      "Key must be well-formed Unicode (lone surrogate found)",
    );
  }
  const normalized = key.normalize("NFC");
  const bytes = utf8Bytes(normalized);
  if (bytes > MAX_KEY_BYTES) {
    throw new LockError(
      "InvalidArgument",
      `Key exceeds maximum length: ${bytes} bytes after NFC normalization, limit ${MAX_KEY_BYTES}`,
    );
  }
  return normalized;
}

/** Hex SHA-256 of the key's UTF-8 bytes, cut to `hexChars` characters. */
export function keyDigest(key: string, hexChars = DIGEST_HEX_CHARS): string {
  return createHash("sha256").update(key, "utf8").digest("hex").slice(0, hexChars);
}

/** What a store allows in a name. Each backend supplies its own rules. */
export interface StorageNameRules {
  /** Byte budget for the name this helper returns (the caller's own prefix not included). */
  maxBytes: number;
  /** True for a character (one code point) the store cannot hold; it is percent-escaped. */
  mustEscape?: (char: string) => boolean;
  /** True for a whole name the store reserves (Firestore: ".", "..", "__x__"). */
  isReserved?: (name: string) => boolean;
}

function percentEncode(char: string): string {
  let out = "";
  for (const byte of Buffer.from(char, "utf8"))
    out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  return out;
}

/** Cuts text to at most `maxBytes` UTF-8 bytes without splitting a code point. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8Bytes(text) <= maxBytes) return text;
  let out = "";
  let used = 0;
  for (const char of text) {
    const size = utf8Bytes(char);
    if (used + size > maxBytes) break;
    out += char;
    used += size;
  }
  return out;
}

/**
 * Maps a normalized key to a name the store accepts, injectively:
 * - a key that is short enough, needs no escaping, is not reserved and holds no `~` is used verbatim;
 * - any other key becomes `<readable part>~<32 hex of SHA-256(key)>`, where the readable part is
 *   the escaped key cut to at most 512 bytes.
 * Verbatim names never contain `~` and hashed names always end in `~` + digest, so the two forms
 * cannot meet, and two hashed names meet only on a 128-bit digest collision.
 */
export function toStorageName(normalizedKey: string, rules: StorageNameRules): string {
  const digestBytes = DIGEST_SEPARATOR.length + DIGEST_HEX_CHARS;
  const readableBudget = Math.min(READABLE_KEY_BYTES, rules.maxBytes - digestBytes);
  if (readableBudget < 0) {
    throw new LockError(
      "InvalidArgument",
      `Storage name budget ${rules.maxBytes} bytes is too small`,
    );
  }
  let escaped = "";
  let hadToEscape = false;
  for (const char of normalizedKey) {
    if (char === DIGEST_SEPARATOR || rules.mustEscape?.(char)) {
      hadToEscape = true;
      escaped += char === DIGEST_SEPARATOR ? char : percentEncode(char);
    } else {
      escaped += char;
    }
  }
  const fitsVerbatim = utf8Bytes(normalizedKey) <= Math.min(READABLE_KEY_BYTES, rules.maxBytes);
  if (!hadToEscape && fitsVerbatim && !rules.isReserved?.(normalizedKey)) return normalizedKey;
  return `${truncateUtf8(escaped, readableBudget)}${DIGEST_SEPARATOR}${keyDigest(normalizedKey)}`;
}

/**
 * A 16-bit number derived from the key. Backends that must find a lock from its lockId alone in
 * one round trip (Redis Cluster) embed it in the lockId and use it to pick the shard.
 */
export function keyRoute(normalizedKey: string): number {
  return createHash("sha256").update(normalizedKey, "utf8").digest().readUInt16BE(0);
}
