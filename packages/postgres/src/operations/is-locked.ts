import { CLEANUP_GUARD_MS, type DriverKeyInput, TIME_TOLERANCE_MS } from "@syncguard/core";
import type { PostgresConfig } from "../config";
import type { DriverContext } from "../context";
import { runStatement } from "../statement";
import { NOW_MS, rowName } from "../storage";

/**
 * Whether the key's lock is live. With `cleanupInIsLocked`, the same statement deletes the row
 * when it expired longer than the cleanup guard ago (never a fence counter).
 */
export function isLockedSql({ locksTable, cleanupInIsLocked }: PostgresConfig): string {
  const sweep = cleanupInIsLocked
    ? `, swept AS (
  DELETE FROM ${locksTable} l USING clock
  WHERE l.name = $1 AND clock.now_ms - l.expires_at_ms > ${CLEANUP_GUARD_MS}
)`
    : "";
  return `
WITH clock AS MATERIALIZED (SELECT ${NOW_MS} AS now_ms)${sweep}
SELECT EXISTS (
  SELECT 1 FROM ${locksTable} l, clock
  WHERE l.name = $1 AND l.expires_at_ms + ${TIME_TOLERANCE_MS} > clock.now_ms
) AS locked`;
}

export async function isLocked(
  ctx: DriverContext,
  sql: string,
  { key, signal }: DriverKeyInput,
): Promise<boolean> {
  const result = await runStatement(ctx, {
    operation: "isLocked",
    text: sql,
    values: [rowName(key)],
    write: ctx.config.cleanupInIsLocked,
    signal,
  });
  return result.rows[0]?.locked === true;
}
