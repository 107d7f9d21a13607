import type { DriverKeyInput, DriverLockIdInput, StoredLock } from "@syncguard/core/driver";
import { formatFence } from "@syncguard/core/driver";
import { type OperationContext, readKey } from "../context";
import { layoutForKey, layoutForLockId } from "../keys";
import { isReservation, parseRecord } from "../record";
import { replyString } from "../reply";

/**
 * Reads need no script: a record exists exactly while its lock is live (its TTL is the lease plus
 * the tolerance), so one GET of the record answers lookups and isLocked. Core checks that the
 * record is the key's (tags can collide) or the lockId's own.
 */

/** The lock in a GET reply, or undefined for nothing or a reservation. */
export function storedLockOf(reply: unknown): StoredLock | undefined {
  if (reply === null || reply === undefined) return undefined;
  const text = replyString(reply, "lock record");
  if (isReservation(text)) return undefined;
  const record = parseRecord(text);
  return {
    key: record.key,
    lockId: record.lockId,
    acquiredAtMs: record.acquiredAtMs,
    expiresAtMs: record.expiresAtMs,
    fence: formatFence(record.fence),
  };
}

export async function readByKey(
  ctx: OperationContext,
  { key, signal }: DriverKeyInput,
  operation = "lookup",
): Promise<StoredLock | undefined> {
  const record = layoutForKey(ctx.config.keyPrefix, key).record;
  return storedLockOf(await readKey(ctx, operation, record, signal));
}

/** isLocked is the same GET; its own name keeps error messages about the caller's call. */
export async function isLocked(ctx: OperationContext, input: DriverKeyInput): Promise<boolean> {
  return (await readByKey(ctx, input, "isLocked"))?.key === input.key;
}

export async function readByLockId(
  ctx: OperationContext,
  { lockId, signal }: DriverLockIdInput,
): Promise<StoredLock | undefined> {
  const record = layoutForLockId(ctx.config.keyPrefix, lockId).record;
  return storedLockOf(await readKey(ctx, "lookup", record, signal));
}
