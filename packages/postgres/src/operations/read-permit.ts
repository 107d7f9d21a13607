import { LockError } from "@syncguard/core";
import {
  type DriverKeyInput,
  type DriverSemaphoreReading,
  type StoredPermit,
  TIME_TOLERANCE_MS,
} from "@syncguard/core/driver";
import type { PostgresConfig } from "../config";
import type { DriverContext } from "../context";
import { semaphoreName } from "../semaphore-name";
import { runStatement } from "../statement";
import { NOW_MS, toFence, toMs } from "../storage";
import { RESERVED } from "../wait-queue";

/** The columns a permit read takes, for a permits table aliased `p`. */
export const PERMIT_COLUMNS =
  "p.key, p.lock_id, p.permits, p.acquired_at_ms, p.expires_at_ms, p.fence";

/** Rows of live permits only: not expired, and no reservation (a lockId never starts with it). */
export const LIVE_PERMIT = `p.expires_at_ms + ${TIME_TOLERANCE_MS} > (SELECT ${NOW_MS})
  AND left(p.lock_id, 1) <> '${RESERVED}'`;

/** The live permits of one semaphore (ADR-041): one statement, one snapshot. */
export function readPermitSql({ permitsTable }: PostgresConfig): string {
  return `SELECT ${PERMIT_COLUMNS} FROM ${permitsTable} p
WHERE p.name = $1 AND ${LIVE_PERMIT}
ORDER BY p.fence`;
}

export async function readPermit(
  ctx: DriverContext,
  sql: string,
  { key, signal }: DriverKeyInput,
): Promise<DriverSemaphoreReading | undefined> {
  const result = await runStatement(ctx, {
    operation: "readPermit",
    text: sql,
    values: [semaphoreName(key)],
    write: false,
    signal,
  });
  const holders = result.rows.map(toStoredPermit);
  const first = holders[0];
  return first ? { permits: first.permits, holders } : undefined;
}

/** A permits row as the driver reports it. */
export function toStoredPermit(row: Record<string, unknown>): StoredPermit {
  const { key, lock_id: lockId } = row;
  if (!Buffer.isBuffer(key) || typeof lockId !== "string") {
    throw new LockError("Internal", "PostgreSQL: a permit row has no key bytes or lock_id");
  }
  return {
    key: key.toString("utf8"),
    lockId,
    permits: toMs(row.permits, "permits"),
    acquiredAtMs: toMs(row.acquired_at_ms, "acquired_at_ms"),
    expiresAtMs: toMs(row.expires_at_ms, "expires_at_ms"),
    fence: toFence(row.fence),
  };
}
