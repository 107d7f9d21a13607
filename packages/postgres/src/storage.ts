import { type Fence, LockError } from "@syncguard/core";
import { formatFence, type StoredLock, toStorageName } from "@syncguard/core/driver";

/**
 * The key's row name: core's storage name rules (readable up to 512 bytes, then a digest of the
 * whole key). Text cannot hold NUL, so NUL is escaped; everything else is stored as it is.
 */
export function rowName(normalizedKey: string): string {
  return toStorageName(normalizedKey, { maxBytes: 1024, mustEscape: (char) => char === "\u0000" });
}

/** The key as stored (bytea: any character, NUL included). */
export function keyBytes(normalizedKey: string): Buffer {
  return Buffer.from(normalizedKey, "utf8");
}

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Fence counters per table set: keys share them by route (ADR-035). */
export const ROUTES = 4096;

/**
 * The route of a key: the first 12 bits of its key tag (the tag's first two base64url
 * characters, 0..4095), as on Redis. Every fence of a key comes from its route's counter.
 */
export function routeOfTag(tag: string): number {
  const high = BASE64URL.indexOf(tag.charAt(0));
  const low = BASE64URL.indexOf(tag.charAt(1));
  if (high < 0 || low < 0)
    throw new LockError("Internal", "PostgreSQL: a key tag is not base64url");
  return high * 64 + low;
}

/** The database clock in ms since the epoch, as every statement reads it. */
export const NOW_MS = "floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint";

function corrupt(what: string): LockError {
  return new LockError("Internal", `Malformed lock row: ${what}`);
}

const NUMERIC_TYPES = new Set(["string", "number", "bigint"]);

/** A bigint column (both clients return int8 as a string by default) as a safe integer. */
export function toMs(value: unknown, what: string): number {
  const n = NUMERIC_TYPES.has(typeof value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw corrupt(`${what} is ${String(value)}`);
  return n;
}

export function toFence(value: unknown): Fence {
  if (!NUMERIC_TYPES.has(typeof value)) throw corrupt("fence");
  return formatFence(BigInt(value as string | number | bigint));
}

/** The columns `toStoredLock` reads, for a lock table aliased `l`. */
export const LOCK_COLUMNS = "l.key, l.lock_id, l.acquired_at_ms, l.expires_at_ms, l.fence";

/** A lock row read by `SELECT ${LOCK_COLUMNS}`. */
export function toStoredLock(row: Record<string, unknown>): StoredLock {
  const { key, lock_id: lockId } = row;
  if (!Buffer.isBuffer(key) || typeof lockId !== "string") throw corrupt("key or lock_id");
  return {
    key: key.toString("utf8"),
    lockId,
    acquiredAtMs: toMs(row.acquired_at_ms, "acquired_at_ms"),
    expiresAtMs: toMs(row.expires_at_ms, "expires_at_ms"),
    fence: toFence(row.fence),
  };
}
