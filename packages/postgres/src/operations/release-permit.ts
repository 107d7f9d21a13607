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
import { parseReleasePayload } from "../wait-queue";

/**
 * Deletes the permit if `lockId` holds a live one, and hands the freed slot on in the same
 * statement: the schema's permit relay reserves it for the semaphore's oldest waiter and
 * announces the release on the backend's channel (`fence:waiter:ms/name`, or `fence/name` when
 * nobody waits: whoever waits tries again). Without wake-ups (`notify: false`) there is no queue:
 * a plain delete.
 */
export function releasePermitSql({
  permitsTable,
  relayPermitFunction,
  notify,
}: PostgresConfig): string {
  const live = `p.name = $1 AND p.lock_id = $2 AND p.expires_at_ms + ${TIME_TOLERANCE_MS} > ${NOW_MS}`;
  if (!notify) return `DELETE FROM ${permitsTable} p WHERE ${live} RETURNING NULL AS announced`;
  return `WITH gone AS (
  DELETE FROM ${permitsTable} p WHERE ${live} RETURNING p.name, p.key, p.permits, p.fence
)
SELECT ${relayPermitFunction}(gone.name, gone.key, gone.permits, gone.fence, $3::text) AS announced
FROM gone`;
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
  if (typeof row.announced !== "string") return { released: true };
  // Waiters in this process hear it now, ahead of the server's copy (see NotifyWatcher).
  ctx.watcher?.releasedHere(row.announced);
  // Handed to a waiter: core's releaser then lets it in first.
  return {
    released: true,
    contended: parseReleasePayload(row.announced).reservedFor !== undefined,
  };
}
