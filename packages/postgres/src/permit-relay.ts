import { TIME_TOLERANCE_MS } from "@syncguard/core/driver";
import type { PostgresConfig } from "./config";
import { NOW_MS } from "./storage";
import { HANDOFF_WINDOW_MS, RESERVED } from "./wait-queue";

/**
 * The permit relay function's parameters, as declared and as `pg_get_function_identity_arguments`
 * shows them (how setupSchema finds the function).
 */
export const RELAY_PERMIT_PARAMETERS =
  "released text, released_key bytea, released_permits integer, released_fence bigint, channel text";

/**
 * `<prefix>relay_permit(name, key, permits, fence, channel)`: the hand-off of a freed permit, as
 * `<prefix>relay` is a lock's, called by a permit's release (and by the withdrawal of a waiter a
 * permit was reserved for) in its statement. Waiters past their wait leave the semaphore's queue;
 * the oldest still waiting is taken off it and the freed slot is reserved for it for the hand-off
 * window (a permits row whose lock_id is "~" and its id, which counts as a live permit); the
 * release is announced at commit (`fence:waiter:ms/name`, or `fence/name` when nobody waits: see
 * parseReleasePayload) and the payload returned. SKIP LOCKED: releases at once reserve for
 * different waiters. Part of the schema (setupSchema creates it).
 */
export function relayPermitSql(config: PostgresConfig): string {
  return `CREATE OR REPLACE FUNCTION ${config.relayPermitFunction}(${RELAY_PERMIT_PARAMETERS})
RETURNS text LANGUAGE plpgsql AS $relay$${relayPermitBody(config)}$relay$;`;
}

/** The function's body, as PostgreSQL keeps it (`pg_proc.prosrc`, compared by setupSchema). */
export function relayPermitBody({ permitsTable, permitQueueTable }: PostgresConfig): string {
  return `
DECLARE
  now_ms bigint := ${NOW_MS};
  head text;
  payload text;
BEGIN
  DELETE FROM ${permitQueueTable} w WHERE w.name = released AND w.gives_up_at_ms <= now_ms;
  SELECT q.waiter INTO head FROM ${permitQueueTable} q
  WHERE q.name = released AND q.gives_up_at_ms > now_ms
  ORDER BY q.arrived_at_ms, q.waiter LIMIT 1 FOR UPDATE SKIP LOCKED;
  IF head IS NOT NULL THEN
    DELETE FROM ${permitQueueTable} w WHERE w.name = released AND w.waiter = head;
    INSERT INTO ${permitsTable} AS p (name, lock_id, key, permits, acquired_at_ms, expires_at_ms, fence)
    VALUES (released, '${RESERVED}' || head, released_key, released_permits, now_ms,
      now_ms + ${HANDOFF_WINDOW_MS - TIME_TOLERANCE_MS}, released_fence)
    ON CONFLICT (name, lock_id) DO UPDATE SET acquired_at_ms = excluded.acquired_at_ms,
      expires_at_ms = excluded.expires_at_ms, fence = excluded.fence;
  END IF;
  payload := released_fence || coalesce(':' || head || ':${HANDOFF_WINDOW_MS}', '') || '/' || released;
  PERFORM pg_notify(channel, payload);
  RETURN payload;
END
`;
}

/** The permit waiters' queue of schema version 4 (see `ddl` in schema.ts). */
export function permitQueueTableSql({ permitQueueTable }: PostgresConfig): string {
  return `-- Version 4: callers waiting for a permit of a semaphore, in arrival order (database clock), as
-- the lock queue is for keys. A row leaves when its waiter gets a permit, gives up (withdraw), or
-- is found past gives_up_at_ms by a release of the semaphore.
CREATE TABLE IF NOT EXISTS ${permitQueueTable} (
  name            text   COLLATE "C" NOT NULL,     -- the semaphore's storage name
  waiter          text   COLLATE "C" NOT NULL,     -- core's waiter id (one per acquisition)
  arrived_at_ms   bigint NOT NULL,
  gives_up_at_ms  bigint NOT NULL,
  PRIMARY KEY (name, waiter)
);`;
}
