import { TIME_TOLERANCE_MS, type WaiterInfo } from "@syncguard/core/driver";
import type { PostgresConfig } from "../config";
import type { DriverContext } from "../context";
import { runStatement } from "../statement";
import { NOW_MS, rowName } from "../storage";
import { RESERVED } from "../wait-queue";

/**
 * Takes a waiter that gave up out of the key's queue. If the key is reserved for it right now,
 * the reservation is dropped and announced (`/name`), so the next waiter need not wait for it to
 * lapse. Parameters: row name, waiter id, channel.
 */
export function withdrawSql({ locksTable, queueTable }: PostgresConfig): string {
  return `
WITH left_queue AS (
  DELETE FROM ${queueTable} w WHERE w.name = $1 AND w.waiter = $2
),
dropped AS (
  DELETE FROM ${locksTable} l
  WHERE l.name = $1 AND l.lock_id = '${RESERVED}' || $2
    AND l.expires_at_ms + ${TIME_TOLERANCE_MS} > ${NOW_MS}
  RETURNING l.name
)
SELECT pg_notify($3, '/' || dropped.name) AS announced FROM dropped`;
}

export async function withdraw(
  ctx: DriverContext,
  sql: string,
  { key, waiter }: { readonly key: string; readonly waiter: WaiterInfo },
): Promise<void> {
  await runStatement(ctx, {
    operation: "withdraw",
    text: sql,
    values: [rowName(key), waiter.id, ctx.config.channel],
    write: true,
  });
}
