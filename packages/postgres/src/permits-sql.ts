import { MAX_FENCE, TIME_TOLERANCE_MS } from "@syncguard/core/driver";
import type { PostgresConfig } from "./config";
import { NOW_MS } from "./storage";
import { RESERVED } from "./wait-queue";

/**
 * The class of the advisory locks that serialize the attempts on one semaphore (the two-number
 * form: an application's own advisory locks meet them only if they use this class).
 */
export const PERMIT_LOCK_CLASS = 0x5347_0039; // "SG", ADR-039

/**
 * The permit function's parameters, as declared and as `pg_get_function_identity_arguments`
 * shows them (how setupSchema finds the function).
 */
export const ACQUIRE_PERMIT_PARAMETERS =
  "p_name text, p_key bytea, p_lock_id text, p_ttl bigint, p_permits integer, p_route smallint, " +
  "p_waiter text, p_wait_ms bigint, OUT outcome smallint, OUT fence_out bigint, OUT ms_out bigint";

/** How an attempt ended (`outcome`), with `fence_out` and `ms_out`. */
export const PermitOutcome = {
  /** Taken: its fence and expiresAtMs. */
  taken: 1,
  /** Held by this lockId already (a retry): its fence and expiresAtMs, unchanged. */
  own: 2,
  /**
   * Every permit is held: the fence of the one that expires first (none when that is a
   * reservation for a waiter), and ms it stays live.
   */
  full: 3,
  /** A permit was free but the route's counter is at MAX_FENCE: nothing written. */
  overflow: 4,
  /** The live holders agreed on another number of permits (in `ms_out`). */
  mismatch: 5,
} as const;

/**
 * `<prefix>acquire_permit(...)`: one attempt on a semaphore (ADR-039), in one statement's
 * transaction. Attempts on one semaphore take turns on an advisory transaction lock, and each
 * statement of the function reads what the previous holder of that lock committed (READ
 * COMMITTED: a fresh snapshot per statement), so the count of live permits is never stale. Fences
 * come from the route's counter, as a lock's do. Schema version 4 adds the wait queue: `p_waiter`
 * (core's waiter id, or null) takes a permit reserved for it by a release (see relayPermitSql),
 * and leaves the queue when it gets one; with `p_wait_ms` (how much longer it waits) a waiter
 * turned away joins the queue, its first arrival kept. Part of the schema (setupSchema creates it).
 */
export function acquirePermitSql(config: PostgresConfig): string {
  return `CREATE OR REPLACE FUNCTION ${config.acquirePermitFunction}(${ACQUIRE_PERMIT_PARAMETERS})
LANGUAGE plpgsql AS $permit$${acquirePermitBody(config)}$permit$;`;
}

/** The function's body, as PostgreSQL keeps it (`pg_proc.prosrc`). */
export function acquirePermitBody({
  permitsTable,
  fencesTable,
  permitQueueTable,
}: PostgresConfig): string {
  const liveUntil = `p.expires_at_ms + ${TIME_TOLERANCE_MS}`;
  const firstToExpire = "ORDER BY p.expires_at_ms, p.lock_id";
  return `
DECLARE
  now_ms bigint;
  live integer;
  agreed integer;
  first_fence bigint;
  first_expiry bigint;
  first_reserved boolean;
BEGIN
  PERFORM pg_advisory_xact_lock(${PERMIT_LOCK_CLASS}, hashtext(p_name));
  now_ms := ${NOW_MS};
  DELETE FROM ${permitsTable} p WHERE p.name = p_name AND ${liveUntil} <= now_ms;
  SELECT p.fence, p.expires_at_ms INTO fence_out, ms_out FROM ${permitsTable} p
  WHERE p.name = p_name AND p.lock_id = p_lock_id;
  IF FOUND THEN
    outcome := ${PermitOutcome.own};
    RETURN;
  END IF;
  -- A permit a release reserved for this waiter is its to take: the reservation's slot is freed
  -- here and taken below.
  IF p_waiter IS NOT NULL THEN
    DELETE FROM ${permitsTable} p WHERE p.name = p_name AND p.lock_id = '${RESERVED}' || p_waiter;
  END IF;
  -- One read for the count and the first to expire: releases do not wait for the advisory lock,
  -- so two reads could disagree (a permit counted, then gone).
  SELECT count(*), max(p.permits), (array_agg(p.fence ${firstToExpire}))[1],
    min(p.expires_at_ms), (array_agg(left(p.lock_id, 1) = '${RESERVED}' ${firstToExpire}))[1]
  INTO live, agreed, first_fence, first_expiry, first_reserved
  FROM ${permitsTable} p WHERE p.name = p_name;
  IF live > 0 AND agreed <> p_permits THEN
    outcome := ${PermitOutcome.mismatch};
    ms_out := agreed;
    RETURN;
  END IF;
  IF live >= p_permits THEN
    -- Turned away: a waiter joins the queue, so a release can reserve it a permit.
    IF p_waiter IS NOT NULL AND p_wait_ms IS NOT NULL THEN
      INSERT INTO ${permitQueueTable} (name, waiter, arrived_at_ms, gives_up_at_ms)
      VALUES (p_name, p_waiter, now_ms, now_ms + p_wait_ms)
      ON CONFLICT (name, waiter) DO NOTHING;
    END IF;
    outcome := ${PermitOutcome.full};
    fence_out := CASE WHEN first_reserved THEN NULL ELSE first_fence END;
    ms_out := greatest(0, first_expiry + ${TIME_TOLERANCE_MS} - now_ms);
    RETURN;
  END IF;
  INSERT INTO ${fencesTable} AS f (route, fence) VALUES (p_route, 1)
  ON CONFLICT (route) DO UPDATE SET fence = f.fence + 1 WHERE f.fence < ${MAX_FENCE}
  RETURNING f.fence INTO fence_out;
  IF fence_out IS NULL THEN
    outcome := ${PermitOutcome.overflow};
    RETURN;
  END IF;
  ms_out := now_ms + p_ttl;
  INSERT INTO ${permitsTable} (name, lock_id, key, permits, acquired_at_ms, expires_at_ms, fence)
  VALUES (p_name, p_lock_id, p_key, p_permits, now_ms, ms_out, fence_out);
  IF p_waiter IS NOT NULL THEN
    DELETE FROM ${permitQueueTable} w WHERE w.name = p_name AND w.waiter = p_waiter;
  END IF;
  outcome := ${PermitOutcome.taken};
END
`;
}

/**
 * The permits table of schema version 3 (see `ddl` in schema.ts). Since version 4 a row may also
 * be a reservation for a waiter (lock_id "~" and its id), live for the hand-off window.
 */
export function permitsTableSql({ permitsTable }: PostgresConfig): string {
  return `-- Version 3: one row per permit of a semaphore (ADR-039). A semaphore key's permits share its
-- row name (the storage name of the key in the semaphore namespace); rows of expired permits stay
-- until the next attempt on the semaphore. Fences come from the route counters, as locks' do.
-- Since version 4 a row whose lock_id is "~" and a waiter's id is a permit kept for that waiter
-- for the hand-off window after a release (it counts as live).
CREATE TABLE IF NOT EXISTS ${permitsTable} (
  name            text    COLLATE "C" NOT NULL,  -- the semaphore's storage name
  lock_id         text    COLLATE "C" NOT NULL,  -- the permit holder's secret
  key             bytea   NOT NULL,              -- the whole normalized key, UTF-8
  permits         integer NOT NULL,              -- the number the holder agreed on (equal for live ones)
  acquired_at_ms  bigint  NOT NULL,
  expires_at_ms   bigint  NOT NULL,              -- live while now < expires_at_ms + 1000
  fence           bigint  NOT NULL,
  PRIMARY KEY (name, lock_id)
);`;
}
