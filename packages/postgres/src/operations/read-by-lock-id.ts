import { type DriverLockIdInput, type StoredLock, TIME_TOLERANCE_MS } from "@syncguard/core/driver";
import type { PostgresConfig } from "../config";
import type { DriverContext } from "../context";
import { runStatement } from "../statement";
import { LOCK_COLUMNS, NOW_MS, toStoredLock } from "../storage";

/** The live lock a lockId holds, a pure read through the lock_id index. */
export function readByLockIdSql({ locksTable }: PostgresConfig): string {
  return `SELECT ${LOCK_COLUMNS} FROM ${locksTable} l
WHERE l.lock_id = $1 AND l.expires_at_ms + ${TIME_TOLERANCE_MS} > (SELECT ${NOW_MS})`;
}

export async function readByLockId(
  ctx: DriverContext,
  sql: string,
  { lockId, signal }: DriverLockIdInput,
): Promise<StoredLock | undefined> {
  const result = await runStatement(ctx, {
    operation: "lookup",
    text: sql,
    values: [lockId],
    write: false,
    signal,
  });
  const row = result.rows[0];
  return row ? toStoredLock(row) : undefined;
}
