import { TIME_TOLERANCE_MS, type WaiterInfo } from "@syncguard/core/driver";
import type { PostgresConfig } from "../config";
import type { DriverContext } from "../context";
import { semaphoreName } from "../semaphore-name";
import { runStatement } from "../statement";
import { NOW_MS } from "../storage";
import { RESERVED } from "../wait-queue";

/**
 * Takes a permit waiter that gave up out of the semaphore's queue. If a permit is reserved for it
 * right now, the reservation is dropped and the permit relay hands the slot to the next waiter
 * (or announces it free), so nobody waits for the reservation to lapse. The reservation is
 * dropped only after the waiter has left the queue (it reads `left_queue`), so the relay cannot
 * hand it back to the same waiter. Parameters: semaphore name, waiter id, channel.
 */
export function withdrawPermitSql({
  permitsTable,
  permitQueueTable,
  relayPermitFunction,
}: PostgresConfig): string {
  return `
WITH left_queue AS (
  DELETE FROM ${permitQueueTable} w WHERE w.name = $1 AND w.waiter = $2 RETURNING 1
),
dropped AS (
  DELETE FROM ${permitsTable} p
  WHERE p.name = $1 AND p.lock_id = '${RESERVED}' || $2
    AND p.expires_at_ms + ${TIME_TOLERANCE_MS} > ${NOW_MS}
    AND (SELECT count(*) FROM left_queue) >= 0
  RETURNING p.name, p.key, p.permits, p.fence
)
SELECT ${relayPermitFunction}(dropped.name, dropped.key, dropped.permits, dropped.fence, $3::text)
  AS announced
FROM dropped`;
}

export async function withdrawPermit(
  ctx: DriverContext,
  sql: string,
  { key, waiter }: { readonly key: string; readonly waiter: WaiterInfo },
): Promise<void> {
  const result = await runStatement(ctx, {
    operation: "withdrawPermit",
    text: sql,
    values: [semaphoreName(key), waiter.id, ctx.config.channel],
    write: true,
  });
  const announced = result.rows[0]?.announced;
  // Waiters in this process hear of the freed permit now (see NotifyWatcher).
  if (typeof announced === "string") ctx.watcher?.releasedHere(announced);
}
