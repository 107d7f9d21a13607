import {
  formatFence,
  hashLockId,
  type KeyOptions,
  type LockInfo,
  type LookupOptions,
  parseKeyOptions,
  parseLookupOptions,
} from "@syncguard/core";
import { type OperationContext, readKey } from "../context";
import { layoutForKey, layoutForLockId } from "../keys";
import { isReservation, type LockRecord, parseRecord } from "../record";
import { replyString } from "../reply";
import type { RedisCapabilities } from "../types";

/**
 * Reads need no script: a record exists exactly while its lock is live (its TTL is the lease plus
 * the tolerance), so one GET of the record answers both lookups and isLocked.
 */

/** The lock record in a GET reply, or null for nothing or a reservation. */
export function recordOf(reply: unknown): LockRecord | null {
  if (reply === null || reply === undefined) return null;
  const text = replyString(reply, "lock record");
  return isReservation(text) ? null : parseRecord(text);
}

function toInfo(record: LockRecord): LockInfo<RedisCapabilities> {
  return {
    key: record.key,
    lockIdHash: hashLockId(record.lockId),
    acquiredAtMs: record.acquiredAtMs,
    expiresAtMs: record.expiresAtMs,
    fence: formatFence(record.fence),
  };
}

export async function lookup(
  ctx: OperationContext,
  options: LookupOptions,
): Promise<LockInfo<RedisCapabilities> | null> {
  const target = parseLookupOptions(options);
  const { keyPrefix } = ctx.config;
  if (target.lockId !== undefined) {
    const layout = layoutForLockId(keyPrefix, target.lockId);
    const record = recordOf(await readKey(ctx, "lookup", layout.record, options.signal));
    return record?.lockId === target.lockId ? toInfo(record) : null;
  }
  const layout = layoutForKey(keyPrefix, target.key);
  const record = recordOf(await readKey(ctx, "lookup", layout.record, options.signal));
  // Another key's record under the same tag is not this key's lock.
  return record?.key === target.key ? toInfo(record) : null;
}

export async function isLocked(ctx: OperationContext, options: KeyOptions): Promise<boolean> {
  const { key, signal } = parseKeyOptions(options, "isLocked");
  const layout = layoutForKey(ctx.config.keyPrefix, key);
  return recordOf(await readKey(ctx, "isLocked", layout.record, signal))?.key === key;
}
