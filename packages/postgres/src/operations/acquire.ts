import {
  type DriverAcquireInput,
  type DriverAttempt,
  fenceOverflowError,
  MAX_FENCE,
  TIME_TOLERANCE_MS,
  warnIfFenceNearLimit,
} from "@syncguard/core";
import type { PostgresConfig } from "../config";
import type { DriverContext } from "../context";
import { runStatement } from "../statement";
import { keyBytes, NOW_MS, rowName, toFence, toMs } from "../storage";

/**
 * One statement, so one atomic step. `live` is the key's live lock as the statement's snapshot
 * sees it; only when there is none is the fence counter bumped, which also locks the counter row
 * until commit, so fences are issued in commit order. The lock row is then written by an upsert
 * whose WHERE re-checks the row it conflicts with at its newest version: a lock that became live
 * after the snapshot is never overwritten (the bumped fence is then skipped, never reused).
 * Overflow is checked before any write: a counter at MAX_FENCE is not bumped.
 */
export function acquireSql({ locksTable, fencesTable }: PostgresConfig): string {
  return `
WITH clock AS MATERIALIZED (SELECT ${NOW_MS} AS now_ms),
live AS (
  SELECT l.lock_id, l.expires_at_ms, l.fence FROM ${locksTable} l, clock
  WHERE l.name = $1 AND l.expires_at_ms + ${TIME_TOLERANCE_MS} > clock.now_ms
),
counter AS (SELECT f.fence FROM ${fencesTable} f WHERE f.name = $1),
bump AS (
  INSERT INTO ${fencesTable} AS f (name, fence)
  SELECT $1, 1 WHERE NOT EXISTS (SELECT 1 FROM live)
    AND coalesce((SELECT fence FROM counter), 0) < ${MAX_FENCE}
  ON CONFLICT (name) DO UPDATE SET fence = f.fence + 1 WHERE f.fence < ${MAX_FENCE}
  RETURNING f.fence
),
taken AS (
  INSERT INTO ${locksTable} AS l (name, key, lock_id, acquired_at_ms, expires_at_ms, fence)
  SELECT $1, $2, $3, clock.now_ms, clock.now_ms + $4::bigint, bump.fence FROM bump, clock
  ON CONFLICT (name) DO UPDATE SET key = excluded.key, lock_id = excluded.lock_id,
    acquired_at_ms = excluded.acquired_at_ms, expires_at_ms = excluded.expires_at_ms,
    fence = excluded.fence
  WHERE l.expires_at_ms + ${TIME_TOLERANCE_MS} <= excluded.acquired_at_ms
  RETURNING l.expires_at_ms, l.fence
)
SELECT clock.now_ms,
  (SELECT expires_at_ms FROM taken) AS taken_expires_at_ms,
  (SELECT fence FROM taken) AS taken_fence,
  (SELECT lock_id = $3 FROM live) AS own,
  (SELECT expires_at_ms FROM live) AS live_expires_at_ms,
  (SELECT fence FROM live) AS live_fence,
  (SELECT fence FROM counter) AS counter
FROM clock`;
}

export async function acquire(
  ctx: DriverContext,
  sql: string,
  { key, ttlMs, lockId, signal }: DriverAcquireInput,
): Promise<DriverAttempt> {
  const result = await runStatement(ctx, {
    operation: "acquire",
    text: sql,
    values: [rowName(key), keyBytes(key), lockId, ttlMs],
    write: true,
    lockId,
    signal,
  });
  const row = result.rows[0];
  if (!row) throw new Error("acquire returned no row");
  if (row.taken_fence !== null) {
    const fence = toFence(row.taken_fence);
    warnIfFenceNearLimit(key, fence, ctx.config.logger);
    return { acquired: true, expiresAtMs: toMs(row.taken_expires_at_ms, "expires_at_ms"), fence };
  }
  if (row.live_fence !== null) {
    const expiresAtMs = toMs(row.live_expires_at_ms, "expires_at_ms");
    const fence = toFence(row.live_fence);
    // Our own lockId holds it: a retry of an attempt that took it. Unchanged, nothing written.
    if (row.own === true) return { acquired: true, expiresAtMs, fence };
    const remainingMs = expiresAtMs + TIME_TOLERANCE_MS - toMs(row.now_ms, "now");
    return { acquired: false, holder: { fence, remainingMs } };
  }
  if (row.counter !== null && BigInt(row.counter as string) >= BigInt(MAX_FENCE)) {
    throw fenceOverflowError(key);
  }
  // A lock taken between this statement's snapshot and its upsert: contention, holder unknown.
  return { acquired: false };
}
