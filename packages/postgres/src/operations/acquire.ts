import {
  type DriverAcquireInput,
  type DriverAttempt,
  fenceOverflowError,
  MAX_FENCE,
  TIME_TOLERANCE_MS,
  warnIfFenceNearLimit,
} from "@syncguard/core/driver";
import type { PostgresConfig } from "../config";
import type { DriverContext } from "../context";
import { runStatement } from "../statement";
import { keyBytes, NOW_MS, routeOfTag, rowName, toFence, toMs } from "../storage";
import { attemptPlan, queuedWaiterId, RESERVED } from "../wait-queue";

/**
 * The key's live row (a lock or a reservation) as the statement's snapshot sees it, and the fence
 * bump: only when nothing live holds the key (or a reservation for this waiter does) is the
 * route's counter bumped, which also locks the counter row until commit, so the fences of a route
 * are issued in commit order. Overflow is checked before any write: a counter at MAX_FENCE is not
 * bumped, and nothing else is written.
 */
function readAndBump(config: PostgresConfig, free: string): string {
  return `WITH clock AS MATERIALIZED (SELECT ${NOW_MS} AS now_ms),
cur AS MATERIALIZED (
  SELECT l.lock_id, l.expires_at_ms, l.fence, l.waited FROM ${config.locksTable} l, clock
  WHERE l.name = $1 AND l.expires_at_ms + ${TIME_TOLERANCE_MS} > clock.now_ms
),
bump AS (
  INSERT INTO ${config.fencesTable} AS f (route, fence)
  SELECT $5, 1 WHERE ${free}
  ON CONFLICT (route) DO UPDATE SET fence = f.fence + 1 WHERE f.fence < ${MAX_FENCE}
  RETURNING f.fence
)`;
}

/**
 * The lock row is written by an upsert whose WHERE re-checks the row it conflicts with at its
 * newest version: a lock that became live after the snapshot is never overwritten (the bumped
 * fence is then skipped, never reused). `waited` is kept: a lock taken over from a reservation
 * still has waiters queued.
 */
function take(config: PostgresConfig, mayTakeOver: string): string {
  return `taken AS (
  INSERT INTO ${config.locksTable} AS l (name, key, lock_id, acquired_at_ms, expires_at_ms, fence)
  SELECT $1, $2, $3, clock.now_ms, clock.now_ms + $4::bigint, bump.fence FROM bump, clock
  ON CONFLICT (name) DO UPDATE SET key = excluded.key, lock_id = excluded.lock_id,
    acquired_at_ms = excluded.acquired_at_ms, expires_at_ms = excluded.expires_at_ms,
    fence = excluded.fence
  WHERE ${mayTakeOver}
  RETURNING l.expires_at_ms, l.fence
)`;
}

const EXPIRED = `l.expires_at_ms + ${TIME_TOLERANCE_MS} <= excluded.acquired_at_ms`;

/** The key is this caller's to take: nothing live holds it, or a reservation for its waiter ($6). */
const MINE = `'${RESERVED}' || $6`;
const FREE = `(cur.lock_id IS NULL OR cur.lock_id = ${MINE})`;
const FREE_TO_BUMP = `NOT EXISTS (SELECT 1 FROM cur WHERE cur.lock_id IS DISTINCT FROM ${MINE})`;
const MAY_TAKE_OVER = `${EXPIRED} OR l.lock_id = ${MINE}`;

/** How an attempt ended, in the statement's one row (with `fence` and `ms`). */
export const AttemptState = {
  /** Taken: fence and ms (expiresAtMs) of the new lock. */
  taken: 1,
  /** Held by this lockId already (a retry): its fence and expiresAtMs, unchanged. */
  own: 2,
  /** Held by another lock: its fence, and ms it stays live. */
  held: 3,
  /** Reserved for another waiter: ms the reservation lasts; no fence to report. */
  reserved: 4,
  /** The key was free to take but the route's counter is at MAX_FENCE: nothing written. */
  overflow: 5,
  /** The key changed hands during the statement: try again at once. */
  changed: 6,
} as const;

/**
 * The answer: one row of three columns (few columns: each costs the server and the client on
 * every call). `changed` (queued attempts) says the holder went away under the statement; `from`
 * names `clock`, `taken` and `cur`.
 */
function answer(
  changed: string | undefined,
  from = "FROM clock LEFT JOIN taken ON true LEFT JOIN cur ON true",
): string {
  const s = AttemptState;
  return `SELECT CASE
    WHEN taken.fence IS NOT NULL THEN ${s.taken}
    WHEN cur.lock_id = $3 THEN ${s.own}
    WHEN ${FREE} THEN CASE WHEN EXISTS (SELECT 1 FROM bump) THEN ${s.changed} ELSE ${s.overflow} END
    ${
      changed
        ? `WHEN ${changed} THEN ${s.changed}
    `
        : ""
    }WHEN left(cur.lock_id, 1) = '${RESERVED}' THEN ${s.reserved}
    ELSE ${s.held} END AS state,
  coalesce(taken.fence, cur.fence) AS fence,
  CASE WHEN taken.fence IS NOT NULL THEN taken.expires_at_ms
    WHEN cur.lock_id = $3 THEN cur.expires_at_ms
    ELSE cur.expires_at_ms + ${TIME_TOLERANCE_MS} - clock.now_ms END AS ms
${from}`;
}

/**
 * An attempt that queues nobody and marks nothing. Used for a caller's first attempt on a key
 * this backend is not watching (core subscribes and tries again at once if the key is held, and
 * that attempt queues it), for the waiter a release just reserved the key for (it expects to take
 * it), and for every attempt of a backend without wake-ups. Parameters: row name, key bytes,
 * lockId, ttlMs, route, the waiter's id or null.
 */
export function acquireSql(config: PostgresConfig): string {
  return `
${readAndBump(config, FREE_TO_BUMP)},
${take(config, MAY_TAKE_OVER)}
${answer(undefined)}`;
}

/**
 * An attempt that waits (see attemptWaits; parameters 7 and 8: how long the waiter will still
 * wait, and whether it may already be queued). Turned away, it marks a held lock `waited`, so its
 * release hands the key on and announces it, and queues the waiter (its first arrival is kept). A
 * lock whose mark finds it gone or changed was released in between by a release that saw no
 * waiter: the caller tries again at once.
 */
export function acquireQueuedSql(config: PostgresConfig): string {
  const turnedAway = `cur.lock_id <> $3 AND cur.lock_id IS DISTINCT FROM ${MINE}`;
  const heldByAnother = `${turnedAway} AND left(cur.lock_id, 1) <> '${RESERVED}'`;
  return `
${readAndBump(config, FREE_TO_BUMP)},
${take(config, MAY_TAKE_OVER)},
queued AS (
  INSERT INTO ${config.queueTable} (name, waiter, arrived_at_ms, gives_up_at_ms)
  SELECT $1, $6, clock.now_ms, clock.now_ms + $7::bigint FROM cur, clock
  WHERE $6 IS NOT NULL AND ${turnedAway}
  ON CONFLICT (name, waiter) DO NOTHING
),
marked AS (
  UPDATE ${config.locksTable} l SET waited = true FROM cur
  WHERE l.name = $1 AND l.lock_id = cur.lock_id AND NOT cur.waited AND ${heldByAnother}
  RETURNING 1
),
dequeued AS (
  DELETE FROM ${config.queueTable} w USING taken WHERE $8 AND w.name = $1 AND w.waiter = $6
)
${answer(`NOT cur.waited AND ${heldByAnother} AND NOT EXISTS (SELECT 1 FROM marked)`)}`;
}

/**
 * An attempt that expects the key free (a caller's first attempt on a key this backend is not
 * watching, or the waiter a release just reserved the key for): it bumps the route's counter
 * without reading the key's row first, the fewest steps for a free key, and reads the row only to
 * answer when it did not take it (a fence number is then skipped, never reused). Overflow: a
 * counter at MAX_FENCE is not bumped, and then nothing is written. Parameters as acquireSql.
 */
export function acquireFirstSql(config: PostgresConfig): string {
  const clock = `(SELECT ${NOW_MS} AS now_ms) clock`;
  return `
WITH bump AS (
  INSERT INTO ${config.fencesTable} AS f (route, fence) VALUES ($5, 1)
  ON CONFLICT (route) DO UPDATE SET fence = f.fence + 1 WHERE f.fence < ${MAX_FENCE}
  RETURNING f.fence
),
taken AS (
  INSERT INTO ${config.locksTable} AS l (name, key, lock_id, acquired_at_ms, expires_at_ms, fence)
  SELECT $1, $2, $3, clock.now_ms, clock.now_ms + $4::bigint, bump.fence FROM bump, ${clock}
  ON CONFLICT (name) DO UPDATE SET key = excluded.key, lock_id = excluded.lock_id,
    acquired_at_ms = excluded.acquired_at_ms, expires_at_ms = excluded.expires_at_ms,
    fence = excluded.fence
  WHERE ${MAY_TAKE_OVER}
  RETURNING l.expires_at_ms, l.fence
)
${answer(
  undefined,
  `FROM ${clock} LEFT JOIN taken ON true LEFT JOIN LATERAL (
  SELECT l.lock_id, l.expires_at_ms, l.fence FROM ${config.locksTable} l
  WHERE taken.fence IS NULL AND l.name = $1
    AND l.expires_at_ms + ${TIME_TOLERANCE_MS} > clock.now_ms
) cur ON true`,
)}`;
}

/** The statements an acquire chooses from, built once per backend. */
export interface AcquireStatements {
  readonly first: string;
  readonly plain: string;
  readonly queued: string;
}

export function acquireStatements(config: PostgresConfig): AcquireStatements {
  return {
    first: acquireFirstSql(config),
    plain: acquireSql(config),
    queued: acquireQueuedSql(config),
  };
}

/** One attempt (see attemptPlan for which statement it sends). */
export async function acquire(
  ctx: DriverContext,
  statements: AcquireStatements,
  input: DriverAcquireInput,
): Promise<DriverAttempt> {
  const name = rowName(input.key);
  const plan = attemptPlan(ctx, input, name);
  if (plan === "queued") return send(ctx, statements.queued, input, name, true);
  // The key is expected free on a first attempt, and by the waiter it was reserved for; a
  // backend without wake-ups polls with the statement that reads first.
  const { waiter } = input;
  const expectFree = plan === "reserved" || !waiter || waiter.firstAttempt === true;
  const attempt = await send(
    ctx,
    expectFree ? statements.first : statements.plain,
    input,
    name,
    false,
  );
  // A reserved waiter that did not get the key (its reservation lapsed and someone took it)
  // must queue again, or it would sleep out its backoff unqueued.
  if (plan === "plain" || attempt.acquired) return attempt;
  return send(ctx, statements.queued, input, name, true);
}

async function send(
  ctx: DriverContext,
  text: string,
  input: DriverAcquireInput,
  name: string,
  queued: boolean,
): Promise<DriverAttempt> {
  const { key, tag, ttlMs, lockId, signal, waiter } = input;
  const values: unknown[] = [name, keyBytes(key), lockId, ttlMs, routeOfTag(tag)];
  values.push(ctx.watcher ? queuedWaiterId(input) : null);
  if (queued)
    values.push(waiter?.timeoutMs ?? 0, waiter !== undefined && waiter.firstAttempt !== true);
  const result = await runStatement(ctx, {
    operation: "acquire",
    text,
    values,
    write: true,
    lockId,
    signal,
  });
  const row = result.rows[0];
  if (!row) throw new Error("acquire returned no row");
  const state = Number(row.state);
  switch (state) {
    case AttemptState.taken: {
      const fence = toFence(row.fence);
      warnIfFenceNearLimit(key, fence, ctx.config.logger);
      return { acquired: true, expiresAtMs: toMs(row.ms, "expires_at_ms"), fence };
    }
    case AttemptState.own:
      // Our own lockId holds it: a retry of an attempt that took it. Unchanged, nothing written.
      return {
        acquired: true,
        expiresAtMs: toMs(row.ms, "expires_at_ms"),
        fence: toFence(row.fence),
      };
    case AttemptState.held:
      return {
        acquired: false,
        holder: { fence: toFence(row.fence), remainingMs: toMs(row.ms, "remaining ms") },
      };
    case AttemptState.reserved:
      // A reservation for another waiter has no holder fence to report.
      return { acquired: false, holder: { remainingMs: toMs(row.ms, "remaining ms") } };
    case AttemptState.overflow:
      throw fenceOverflowError(key);
    case AttemptState.changed:
      // Taken by someone else between this statement's snapshot and its upsert, or released in
      // between by a release that did not see this waiter: try again at once (core never sleeps
      // past a holder's remainingMs), so the caller queues behind whoever holds the key now.
      return { acquired: false, holder: { remainingMs: 0 } };
    default:
      throw new Error(`acquire returned state ${String(row.state)}`);
  }
}
