import { LockError } from "@syncguard/core";
import {
  type DriverAttempt,
  type DriverPermitInput,
  fenceOverflowError,
  permitsMismatchError,
  warnIfFenceNearLimit,
} from "@syncguard/core/driver";
import type { PostgresConfig } from "../config";
import type { DriverContext } from "../context";
import { PermitOutcome } from "../permits-sql";
import { semaphoreName, semaphoreRoute } from "../semaphore-name";
import { runStatement } from "../statement";
import { keyBytes, toFence, toMs } from "../storage";
import { attemptWaits, queuedWaiterId } from "../wait-queue";

/** One call of the schema's permit function (see permits-sql.ts). */
export function acquirePermitStatement({ acquirePermitFunction }: PostgresConfig): string {
  return `SELECT outcome, fence_out, ms_out FROM ${acquirePermitFunction}($1, $2, $3, $4::bigint, $5::integer, $6::smallint, $7::text, $8::bigint)`;
}

/**
 * One attempt. A backend with wake-ups names the caller's waiter (to take a permit reserved for
 * it, and to leave the queue with one), and queues it when turned away if the attempt waits (as
 * a lock attempt does: see attemptWaits); without wake-ups nobody is queued.
 */
export async function acquirePermit(
  ctx: DriverContext,
  sql: string,
  input: DriverPermitInput,
): Promise<DriverAttempt> {
  const { key, lockId, ttlMs, permits, signal, waiter } = input;
  const name = semaphoreName(key);
  const waiterId = ctx.watcher ? queuedWaiterId(input) : null;
  const waitMs =
    waiterId !== null && waiter && attemptWaits(ctx, input, name) ? waiter.timeoutMs : null;
  const result = await runStatement(ctx, {
    operation: "acquirePermit",
    text: sql,
    values: [name, keyBytes(key), lockId, ttlMs, permits, semaphoreRoute(key), waiterId, waitMs],
    write: true,
    lockId,
    signal,
  });
  const row = result.rows[0] ?? {};
  switch (Number(row.outcome)) {
    case PermitOutcome.taken:
    case PermitOutcome.own: {
      const fence = toFence(row.fence_out);
      if (Number(row.outcome) === PermitOutcome.taken) {
        warnIfFenceNearLimit(key, fence, ctx.config.logger);
      }
      return { acquired: true, expiresAtMs: toMs(row.ms_out, "expires_at_ms"), fence };
    }
    case PermitOutcome.full: {
      const remainingMs = toMs(row.ms_out, "remaining ms");
      // A reservation for another waiter expires first: it has no holder fence to report.
      if (row.fence_out === null) return { acquired: false, holder: { remainingMs } };
      return { acquired: false, holder: { fence: toFence(row.fence_out), remainingMs } };
    }
    case PermitOutcome.overflow:
      throw fenceOverflowError(key);
    case PermitOutcome.mismatch:
      throw permitsMismatchError(key, toMs(row.ms_out, "permits"), permits);
    default:
      throw new LockError(
        "Internal",
        `PostgreSQL acquirePermit: unexpected outcome ${String(row.outcome)}`,
      );
  }
}
