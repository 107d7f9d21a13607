import { randomFillSync } from "node:crypto";
import { LockError } from "./errors";
import { sha256 } from "./sha256";

/**
 * A lockId is 36 base64url characters: 18 random bytes from the CSPRNG (144 bits, the holder's
 * secret), then a 9-byte key tag, the start of SHA-256 of the normalized key (ADR-006). The tag
 * lets a backend find the lock from the lockId alone (Redis names the record after it), and lets
 * a backend check that a lockId handed back to `acquire` was made for that key. The tag reveals
 * nothing the key does not; the secret part is what makes a lockId unguessable.
 */
export const LOCK_ID_LENGTH = 36;
/** Characters of the secret part; the key tag follows. */
const SECRET_CHARS = 24;
const SECRET_BYTES = 18;
/** Characters of a key tag in base64url (9 bytes, no padding). */
export const KEY_TAG_LENGTH = 12;
const LOCK_ID_PATTERN = /^[A-Za-z0-9_-]{36}$/;

// CSPRNG bytes drawn in batches: one system call per 256 ids instead of one per id.
const pool = Buffer.alloc(SECRET_BYTES * 256);
let poolOffset = pool.length;

function randomSecret(): string {
  if (poolOffset + SECRET_BYTES > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const secret = pool.toString("base64url", poolOffset, poolOffset + SECRET_BYTES);
  pool.fill(0, poolOffset, poolOffset + SECRET_BYTES); // a used secret never stays in memory
  poolOffset += SECRET_BYTES;
  return secret;
}

/** The key tag of a normalized key: base64url of the first 9 bytes of SHA-256 of its UTF-8. */
export function keyTag(normalizedKey: string): string {
  // 9 bytes are exactly 12 base64url characters: the digest's first 12 characters encode them.
  return sha256(normalizedKey, "base64url").slice(0, KEY_TAG_LENGTH);
}

/** A fresh lockId for a normalized key. */
export function generateLockId(normalizedKey: string): string {
  return randomSecret() + keyTag(normalizedKey);
}

/** The key tag a valid lockId carries. */
export function lockIdKeyTag(lockId: string): string {
  return lockId.slice(SECRET_CHARS);
}

export function isLockId(value: unknown): value is string {
  return typeof value === "string" && LOCK_ID_PATTERN.test(value);
}

export function validateLockId(lockId: unknown): string {
  if (!isLockId(lockId)) {
    // Never echo the value: a lockId with a stray character is still someone's secret.
    const shown =
      typeof lockId === "string" ? `a string of ${lockId.length} characters` : typeof lockId;
    throw new LockError(
      "InvalidArgument",
      `Invalid lockId format: expected ${LOCK_ID_LENGTH} base64url characters, got ${shown}`,
    );
  }
  return lockId;
}

/**
 * Validates a lockId a caller hands to `acquire` (to retry an attempt whose outcome is unknown):
 * it must be well formed and made for this normalized key, or the lock would be stored where
 * nobody looking for the key finds it.
 */
export function validateLockIdForKey(lockId: unknown, normalizedKey: string): string {
  const valid = validateLockId(lockId);
  if (lockIdKeyTag(valid) !== keyTag(normalizedKey)) {
    throw new LockError("InvalidArgument", "lockId was not generated for this key", {
      key: normalizedKey,
    });
  }
  return valid;
}
