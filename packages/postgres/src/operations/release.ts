import { type DriverLockIdInput, type DriverRelease, TIME_TOLERANCE_MS } from "@syncguard/core";
import type { PostgresConfig } from "../config";
import type { DriverContext } from "../context";
import { runStatement } from "../statement";
import { NOW_MS } from "../storage";

/**
 * Deletes the lock row if `lockId` holds it and it is live (the unique lock_id index finds it),
 * and announces the release on the backend's channel (delivered at commit). Fence counters are
 * never touched.
 */
export function releaseSql({ locksTable, notify }: PostgresConfig): string {
  const announce = notify ? "pg_notify($2, gone.name)" : "NULL";
  return `
WITH gone AS (
  DELETE FROM ${locksTable} l
  WHERE l.lock_id = $1 AND l.expires_at_ms + ${TIME_TOLERANCE_MS} > ${NOW_MS}
  RETURNING l.name
)
SELECT gone.name, ${announce} AS announced FROM gone`;
}

export async function release(
  ctx: DriverContext,
  sql: string,
  { lockId, signal }: DriverLockIdInput,
): Promise<DriverRelease> {
  const values: unknown[] = ctx.config.notify ? [lockId, ctx.config.channel] : [lockId];
  const result = await runStatement(ctx, {
    operation: "release",
    text: sql,
    values,
    write: true,
    lockId,
    signal,
  });
  return { released: result.rows.length > 0 };
}
