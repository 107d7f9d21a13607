import {
  type DriverPermitIdInput,
  type DriverRelease,
  TIME_TOLERANCE_MS,
} from "@syncguard/core/driver";
import type { PostgresConfig } from "../config";
import type { DriverContext } from "../context";
import { semaphoreName } from "../semaphore-name";
import { runStatement } from "../statement";
import { NOW_MS } from "../storage";

/**
 * Deletes the permit if `lockId` holds a live one, and announces the release on the backend's
 * channel in the same statement (`fence/name`, as a lock's release without a waiter): one permit
 * came free, whoever waits tries again. Without wake-ups (`notify: false`) a plain delete.
 */
export function releasePermitSql({ permitsTable, notify }: PostgresConfig): string {
  const gone = `DELETE FROM ${permitsTable} p
WHERE p.name = $1 AND p.lock_id = $2 AND p.expires_at_ms + ${TIME_TOLERANCE_MS} > ${NOW_MS}
RETURNING p.fence::text || '/' || p.name AS announced`;
  if (!notify) return gone;
  return `WITH gone AS (${gone})
SELECT gone.announced, pg_notify($3::text, gone.announced) FROM gone`;
}

export async function releasePermit(
  ctx: DriverContext,
  sql: string,
  { key, lockId, signal }: DriverPermitIdInput,
): Promise<DriverRelease> {
  const name = semaphoreName(key);
  const values: unknown[] = ctx.config.notify ? [name, lockId, ctx.config.channel] : [name, lockId];
  const result = await runStatement(ctx, {
    operation: "releasePermit",
    text: sql,
    values,
    write: true,
    lockId,
    signal,
  });
  const row = result.rows[0];
  if (!row) return { released: false };
  // Waiters in this process hear it now, ahead of the server's copy (see NotifyWatcher).
  if (ctx.config.notify && typeof row.announced === "string") {
    ctx.watcher?.releasedHere(row.announced);
  }
  return { released: true };
}
