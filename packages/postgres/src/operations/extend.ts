import { type DriverExtendInput, TIME_TOLERANCE_MS } from "@syncguard/core/driver";
import type { PostgresConfig } from "../config";
import type { DriverContext } from "../context";
import { runStatement } from "../statement";
import { NOW_MS, toMs } from "../storage";

/** Sets expiry to the database's now + ttlMs if `lockId` holds a live lock. */
export function extendSql({ locksTable }: PostgresConfig): string {
  return `
WITH clock AS MATERIALIZED (SELECT ${NOW_MS} AS now_ms)
UPDATE ${locksTable} l SET expires_at_ms = clock.now_ms + $2::bigint FROM clock
WHERE l.lock_id = $1 AND l.expires_at_ms + ${TIME_TOLERANCE_MS} > clock.now_ms
RETURNING l.expires_at_ms`;
}

export async function extend(
  ctx: DriverContext,
  sql: string,
  { lockId, ttlMs, signal }: DriverExtendInput,
): Promise<{ readonly expiresAtMs: number } | undefined> {
  const result = await runStatement(ctx, {
    operation: "extend",
    text: sql,
    values: [lockId, ttlMs],
    write: true,
    lockId,
    signal,
  });
  const row = result.rows[0];
  return row ? { expiresAtMs: toMs(row.expires_at_ms, "expires_at_ms") } : undefined;
}
