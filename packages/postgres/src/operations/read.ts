import {
  type DriverKeyInput,
  type DriverLockIdInput,
  type StoredLock,
  TIME_TOLERANCE_MS,
} from "@syncguard/core/driver";
import type { PostgresConfig } from "../config";
import { runStatement, type StatementContext } from "../statement";
import { NOW_MS, rowName, toStoredLock } from "../storage";

const COLUMNS = "l.key, l.lock_id, l.acquired_at_ms, l.expires_at_ms, l.fence";

/** The live lock of a row name, a pure read. */
export function readByKeySql({ locksTable }: PostgresConfig): string {
  return `SELECT ${COLUMNS} FROM ${locksTable} l
WHERE l.name = $1 AND l.expires_at_ms + ${TIME_TOLERANCE_MS} > (SELECT ${NOW_MS})`;
}

/** The live lock a lockId holds, a pure read through the lock_id index. */
export function readByLockIdSql({ locksTable }: PostgresConfig): string {
  return `SELECT ${COLUMNS} FROM ${locksTable} l
WHERE l.lock_id = $1 AND l.expires_at_ms + ${TIME_TOLERANCE_MS} > (SELECT ${NOW_MS})`;
}

export async function readByKey(
  ctx: StatementContext,
  sql: string,
  { key, signal }: DriverKeyInput,
): Promise<StoredLock | undefined> {
  const result = await runStatement(ctx, {
    operation: "lookup",
    text: sql,
    values: [rowName(key)],
    write: false,
    signal,
  });
  const row = result.rows[0];
  return row ? toStoredLock(row) : undefined;
}

export async function readByLockId(
  ctx: StatementContext,
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
