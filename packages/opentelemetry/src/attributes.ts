import type { Attributes } from "@opentelemetry/api";
import { keyDigest, normalizeKey } from "@syncguard/core/driver";

/** Attribute names on spans and metric points; all under `syncguard.`. */
export const ATTR = Object.freeze({
  /** First 16 hex characters of SHA-256 of the normalized key. */
  keyHash: "syncguard.key.hash",
  /** The normalized key itself: only with `recordRawKey: true`. */
  key: "syncguard.key",
  fence: "syncguard.fence",
  /** acquired | skipped | timeout | aborted | lost | error */
  outcome: "syncguard.outcome",
  attempts: "syncguard.attempts",
  waitMs: "syncguard.wait_ms",
  holdMs: "syncguard.hold_ms",
  errorCode: "syncguard.error.code",
  lostReason: "syncguard.lost.reason",
  operation: "syncguard.operation",
  released: "syncguard.released",
});

/** Hex characters of the key digest: 64 bits tell keys apart in a trace backend. */
const KEY_HASH_CHARS = 16;

/**
 * The attributes that name a key: its hash, and the key itself only when opted in. A key that
 * does not validate gets none (the lock call rejects it before any I/O anyway).
 */
export function keyAttributes(key: unknown, recordRawKey: boolean): Attributes {
  let normalized: string;
  try {
    normalized = normalizeKey(key);
  } catch {
    return {};
  }
  const attributes: Attributes = { [ATTR.keyHash]: keyDigest(normalized, KEY_HASH_CHARS) };
  if (recordRawKey) attributes[ATTR.key] = normalized;
  return attributes;
}
