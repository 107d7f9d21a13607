import { CLEANUP_GUARD_MS, type DriverKeyInput, TIME_TOLERANCE_MS } from "@syncguard/core/driver";
import type { PostgresConfig } from "../config";
import type { DriverContext } from "../context";
import { runStatement } from "../statement";
import { NOW_MS, rowName } from "../storage";
import { RESERVED } from "../wait-queue";

/**
 * Whether the key's lock is live (a reservation for a waiter is not a lock). With
 * `cleanupInIsLocked`, the same statement deletes the row when it expired longer than the cleanup
 * guard ago, and the key's waiters that stopped waiting that long ago (never a fence counter).
 */
export function isLockedSql({ locksTable, queueTable, cleanupInIsLocked }: PostgresConfig): string {
  const sweep = cleanupInIsLocked
    ? `, swept AS (
  DELETE FROM ${locksTable} l USING clock
  WHERE l.name = $1 AND clock.now_ms - l.expires_at_ms > ${CLEANUP_GUARD_MS}
), gave_up AS (
  DELETE FROM ${queueTable} w USING clock
  WHERE w.name = $1 AND clock.now_ms - w.gives_up_at_ms > ${CLEANUP_GUARD_MS}
)`
    : "";
  return `
WITH clock AS MATERIALIZED (SELECT ${NOW_MS} AS now_ms)${sweep}
SELECT EXISTS (
  SELECT 1 FROM ${locksTable} l, clock
  WHERE l.name = $1 AND l.expires_at_ms + ${TIME_TOLERANCE_MS} > clock.now_ms
    AND left(l.lock_id, 1) <> '${RESERVED}'
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
