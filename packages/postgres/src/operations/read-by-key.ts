import { type DriverKeyInput, type StoredLock, TIME_TOLERANCE_MS } from "@syncguard/core/driver";
import type { PostgresConfig } from "../config";
import type { DriverContext } from "../context";
import { runStatement } from "../statement";
import { LOCK_COLUMNS, NOW_MS, rowName, toStoredLock } from "../storage";
import { RESERVED } from "../wait-queue";

/** The live lock of a row name (not a reservation), a pure read. */
export function readByKeySql({ locksTable }: PostgresConfig): string {
  return `SELECT ${LOCK_COLUMNS} FROM ${locksTable} l
WHERE l.name = $1 AND l.expires_at_ms + ${TIME_TOLERANCE_MS} > (SELECT ${NOW_MS})
  AND left(l.lock_id, 1) <> '${RESERVED}'`;
}

export async function readByKey(
  ctx: DriverContext,
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
