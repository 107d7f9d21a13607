import {
  type DriverLockIdInput,
  type DriverRelease,
  TIME_TOLERANCE_MS,
} from "@syncguard/core/driver";
import type { PostgresConfig } from "../config";
import type { DriverContext } from "../context";
import { runStatement } from "../statement";
import { NOW_MS } from "../storage";

/**
 * Deletes the lock row if `lockId` holds it and it is live (the unique lock_id index finds it).
 * Fence counters are never touched. A lock nobody was turned away from needs nothing more: no
 * queue, no announcement. For a `waited` one (read from the row's newest version) the RETURNING
 * calls the schema's relay function in the same statement: it reserves the key for the oldest
 * waiter and announces the release (see relaySql); waiters in this process are told as soon as
 * the statement answers (see NotifyWatcher.releasedHere). Without wake-ups (`notify: false`)
 * there is no queue: a plain delete.
 */
export function releaseSql({ locksTable, relayFunction, notify }: PostgresConfig): string {
  const live = `l.lock_id = $1 AND l.expires_at_ms + ${TIME_TOLERANCE_MS} > ${NOW_MS}`;
  if (!notify) return `DELETE FROM ${locksTable} l WHERE ${live} RETURNING NULL AS announced`;
  return `DELETE FROM ${locksTable} l WHERE ${live}
RETURNING CASE WHEN l.waited THEN ${relayFunction}(l.name, l.key, l.fence, $2::text) END AS announced`;
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
  // A waited lock's release answers with what it announced (one column, null otherwise).
  const announced = typeof row.announced === "string" ? row.announced : undefined;
  if (announced !== undefined) ctx.watcher?.releasedHere(announced);
  return { released: true, contended: announced !== undefined };
}
