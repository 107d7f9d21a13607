import { type DriverLockIdInput, type DriverRelease, TIME_TOLERANCE_MS } from "@syncguard/core";
import type { PostgresConfig } from "../config";
import type { DriverContext } from "../context";
import { runStatement } from "../statement";
import { NOW_MS } from "../storage";
import { HANDOFF_WINDOW_MS, RESERVED } from "../wait-queue";

/**
 * Deletes the lock row if `lockId` holds it and it is live (the unique lock_id index finds it).
 * Fence counters are never touched. A lock nobody was turned away from needs nothing more: no
 * queue, no announcement (the other parts run only for a `waited` row, read from its newest
 * version). Otherwise, in the same statement: the queue's oldest waiter still within its wait is
 * taken off it (and waiters past their wait with it), the key is reserved for that waiter for the
 * hand-off window (a row in place of the deleted one, so nobody else can take the key in
 * between), and the release is announced on the backend's channel at commit: `waiter:ms/name`,
 * or `/name` when nobody is left to hand the key to. Without wake-ups (`notify: false`) there is
 * no queue: a plain delete.
 */
export function releaseSql({ locksTable, queueTable, notify }: PostgresConfig): string {
  if (!notify) {
    return `DELETE FROM ${locksTable} l
WHERE l.lock_id = $1 AND l.expires_at_ms + ${TIME_TOLERANCE_MS} > ${NOW_MS}
RETURNING false AS waited`;
  }
  return `
WITH clock AS MATERIALIZED (SELECT ${NOW_MS} AS now_ms),
gone AS (
  DELETE FROM ${locksTable} l USING clock
  WHERE l.lock_id = $1 AND l.expires_at_ms + ${TIME_TOLERANCE_MS} > clock.now_ms
  RETURNING l.name, l.key, l.fence, l.waited
),
popped AS (
  DELETE FROM ${queueTable} w USING gone, clock
  WHERE gone.waited AND w.name = gone.name AND (w.gives_up_at_ms <= clock.now_ms OR w.waiter = (
    SELECT q.waiter FROM ${queueTable} q
    WHERE q.name = gone.name AND q.gives_up_at_ms > clock.now_ms
    ORDER BY q.arrived_at_ms, q.waiter LIMIT 1))
  RETURNING w.waiter, w.gives_up_at_ms > clock.now_ms AS live
),
reserved AS (
  INSERT INTO ${locksTable} (name, key, lock_id, acquired_at_ms, expires_at_ms, fence, waited)
  SELECT gone.name, gone.key, '${RESERVED}' || popped.waiter, clock.now_ms,
    clock.now_ms + ${HANDOFF_WINDOW_MS - TIME_TOLERANCE_MS}, gone.fence, true
  FROM gone, popped, clock WHERE popped.live
)
SELECT gone.waited, CASE WHEN gone.waited THEN pg_notify($2, coalesce(
  (SELECT popped.waiter FROM popped WHERE popped.live) || ':${HANDOFF_WINDOW_MS}', ''
) || '/' || gone.name) END AS announced
FROM gone`;
}

/** `contended`: waiters were told (core's releaser then lets them in first). */
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
  const row = result.rows[0];
  if (!row) return { released: false };
  return { released: true, contended: row.waited === true };
}
