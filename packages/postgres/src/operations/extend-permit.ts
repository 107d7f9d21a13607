import { type DriverPermitExtendInput, TIME_TOLERANCE_MS } from "@syncguard/core/driver";
import type { PostgresConfig } from "../config";
import type { DriverContext } from "../context";
import { semaphoreName } from "../semaphore-name";
import { runStatement } from "../statement";
import { NOW_MS, toMs } from "../storage";

/** Sets the permit's expiry to the database's now + ttlMs if `lockId` holds a live one. */
export function extendPermitSql({ permitsTable }: PostgresConfig): string {
  return `
WITH clock AS MATERIALIZED (SELECT ${NOW_MS} AS now_ms)
UPDATE ${permitsTable} p SET expires_at_ms = clock.now_ms + $3::bigint FROM clock
WHERE p.name = $1 AND p.lock_id = $2 AND p.expires_at_ms + ${TIME_TOLERANCE_MS} > clock.now_ms
RETURNING p.expires_at_ms`;
}

export async function extendPermit(
  ctx: DriverContext,
  sql: string,
  { key, lockId, ttlMs, signal }: DriverPermitExtendInput,
): Promise<{ readonly expiresAtMs: number } | undefined> {
  const result = await runStatement(ctx, {
    operation: "extendPermit",
    text: sql,
    values: [semaphoreName(key), lockId, ttlMs],
    write: true,
    lockId,
    signal,
  });
  const row = result.rows[0];
  return row ? { expiresAtMs: toMs(row.expires_at_ms, "expires_at_ms") } : undefined;
}
