import { randomFillSync } from "node:crypto";
import { LockError } from "./errors";

/**
 * A lockId is 18 bytes in base64url (24 characters): 16 bytes (128 bits) from the CSPRNG, then a
 * 16-bit route the backend may use to locate the lock (see `keyRoute`). Backends that do not route
 * get random route bits. The id is the holder's secret: it is never revealed by lookups.
 */
export const LOCK_ID_LENGTH = 24;
const LOCK_ID_PATTERN = /^[A-Za-z0-9_-]{24}$/;

// CSPRNG bytes drawn in batches: one system call per 256 ids instead of one per id.
const pool = Buffer.alloc(18 * 256);
let poolOffset = pool.length;

export function generateLockId(route?: number): string {
  if (poolOffset + 18 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = Buffer.from(pool.subarray(poolOffset, poolOffset + 18));
  pool.fill(0, poolOffset, poolOffset + 18); // a used id never stays in memory twice
  poolOffset += 18;
  if (route !== undefined) bytes.writeUInt16BE(route & 0xffff, 16);
  return bytes.toString("base64url");
}

export function isLockId(value: unknown): value is string {
  return typeof value === "string" && LOCK_ID_PATTERN.test(value);
}

export function validateLockId(lockId: unknown): string {
  if (!isLockId(lockId)) {
    const shown = typeof lockId === "string" ? JSON.stringify(lockId.slice(0, 40)) : typeof lockId;
    throw new LockError(
      "InvalidArgument",
      `Invalid lockId format: expected ${LOCK_ID_LENGTH} base64url characters, got ${shown}`,
    );
  }
  return lockId;
}

/** The 16-bit route stored in a valid lockId. */
export function lockIdRoute(lockId: string): number {
  return Buffer.from(lockId, "base64url").readUInt16BE(16);
}
