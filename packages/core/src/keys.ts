import { LockError } from "./errors";
import { sha256 } from "./sha256";

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
  // Printable ASCII is already NFC and has no surrogates: skip the Unicode work (every call pays it).
  if (!NOT_PLAIN_ASCII.test(key)) {
    if (key.length > MAX_KEY_BYTES) throw keyTooLong(key.length);
    return key;
  }
  // A lone surrogate has no UTF-8 form; two different ones would encode alike and share a lock.
  if (LONE_SURROGATE.test(key)) {
    throw new LockError(
      "InvalidArgument",
      "Key must be well-formed Unicode (lone surrogate found)",
    );
  }
  const normalized = key.normalize("NFC");
  const bytes = utf8Bytes(normalized);
  if (bytes > MAX_KEY_BYTES) throw keyTooLong(bytes);
  return normalized;
}

const NOT_PLAIN_ASCII = /[^ -~\t\n\r]/;

function keyTooLong(bytes: number): LockError {
  return new LockError(
    "InvalidArgument",
    `Key exceeds maximum length: ${bytes} bytes after NFC normalization, limit ${MAX_KEY_BYTES}`,
  );
}

/** Hex SHA-256 of the key's UTF-8 bytes, cut to `hexChars` characters. */
export function keyDigest(key: string, hexChars = DIGEST_HEX_CHARS): string {
  return sha256(key, "hex").slice(0, hexChars);
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
  if (isVerbatim(normalizedKey, rules)) return normalizedKey;
  let escaped = "";
  for (const char of normalizedKey) {
    if (char === DIGEST_SEPARATOR || !rules.mustEscape?.(char)) escaped += char;
    else escaped += percentEncode(char);
  }
  return `${truncateUtf8(escaped, readableBudget)}${DIGEST_SEPARATOR}${keyDigest(normalizedKey)}`;
}

/** Short enough, holds no `~`, not reserved and nothing to escape: the key names itself. */
function isVerbatim(normalizedKey: string, rules: StorageNameRules): boolean {
  if (normalizedKey.includes(DIGEST_SEPARATOR)) return false;
  if (utf8Bytes(normalizedKey) > Math.min(READABLE_KEY_BYTES, rules.maxBytes)) return false;
  if (rules.isReserved?.(normalizedKey)) return false;
  const mustEscape = rules.mustEscape;
  if (mustEscape) {
    for (const char of normalizedKey) if (mustEscape(char)) return false;
  }
  return true;
}
