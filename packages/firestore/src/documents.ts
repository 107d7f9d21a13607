import type { DocumentData } from "@google-cloud/firestore";
import { LockError } from "@syncguard/core";
import { isFence, TIME_TOLERANCE_MS, toStorageName } from "@syncguard/core/driver";
import { isReservedId, MAX_ID_BYTES } from "./config";

/** A lock document in the locks collection. Deleted on release and by cleanup. */
export interface LockDocument {
  lockId: string;
  /** The normalized key (the document id may be escaped or hashed). */
  key: string;
  acquiredAtMs: number;
  expiresAtMs: number;
  fence: string;
}

/**
 * The field a Firestore TTL policy on the lock collection uses. TTL policies only act on timestamp
 * fields, and `expiresAtMs` is a number. Named apart from the expiry so nobody reads liveness from it.
 */
export const PURGE_AT_FIELD = "purgeAt";

/**
 * How long past the end of a lock's life (`expiresAtMs` + tolerance) `purgeAt` lies. TTL deletion is
 * never early but judges by Google's clock, not the writer's: an hour covers any client clock far
 * beyond the ±500 ms rule, and costs nothing (TTL deletion itself lags by up to a day).
 */
export const PURGE_MARGIN_MS = 60 * 60 * 1000;

/**
 * `purgeAt` for a lock expiring at `expiresAtMs`. A `Date`: Firestore 7 and 8 both store it as a
 * Timestamp, and the driver needs no runtime import of the SDK (firebase-admin brings its own).
 */
export function purgeAtFor(expiresAtMs: number): Date {
  return new Date(expiresAtMs + TIME_TOLERANCE_MS + PURGE_MARGIN_MS);
}

/** What acquire writes: the lock plus `purgeAt`, which reads ignore (liveness uses expiresAtMs). */
export interface StoredLockDocument extends LockDocument {
  purgeAt: Date;
}

/** A fence counter document. Never deleted: deleting it would let fences repeat. */
export interface FenceDocument {
  /** The last fence issued for the key, 15 digits. */
  fence: string;
  key: string;
}

/**
 * The document id for a normalized key, used in both collections. Keys containing "/", reserved
 * names (".", "..", "__x__"), keys holding "~" and keys over 512 bytes get an escaped, readable
 * prefix plus a SHA-256 digest of the whole key, so every key has its own legal id.
 */
export function documentId(normalizedKey: string): string {
  return toStorageName(normalizedKey, {
    maxBytes: MAX_ID_BYTES,
    mustEscape: (char) => char === "/",
    isReserved: isReservedId,
  });
}

function corrupt(what: string, id: string): LockError {
  return new LockError("Internal", `Malformed ${what} document ${JSON.stringify(id)}`);
}

/** The lock stored in a snapshot's data, or undefined when the document does not exist. */
export function readLockDocument(
  data: DocumentData | undefined,
  id: string,
): LockDocument | undefined {
  if (data === undefined) return undefined;
  const { lockId, key, acquiredAtMs, expiresAtMs, fence } = data;
  if (
    typeof lockId !== "string" ||
    typeof key !== "string" ||
    typeof acquiredAtMs !== "number" ||
    typeof expiresAtMs !== "number" ||
    !isFence(fence)
  ) {
    throw corrupt("lock", id);
  }
  return { lockId, key, acquiredAtMs, expiresAtMs, fence };
}

/** The last fence issued for a key (0 when none ever was). */
export function readFenceCounter(data: DocumentData | undefined, id: string): bigint {
  if (data === undefined) return 0n;
  if (!isFence(data.fence)) throw corrupt("fence counter", id);
  return BigInt(data.fence);
}
