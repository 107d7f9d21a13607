import { TIME_TOLERANCE_MS } from "@syncguard/core/driver";
import type { PostgresConfig } from "./config";
import { NOW_MS } from "./storage";
import { HANDOFF_WINDOW_MS, RESERVED } from "./wait-queue";

/**
 * The relay function's parameters, as declared and as `pg_get_function_identity_arguments` shows
 * them (how setupSchema finds the function).
 */
export const RELAY_PARAMETERS =
  "released text, released_key bytea, released_fence bigint, channel text";

/**
 * `<prefix>relay(row name, key, fence, channel)`: the hand-off of a released lock an attempt was
 * turned away from, called by the release statement for such a lock only (in its RETURNING), so
 * an uncontended release runs none of it and pays nothing for it. In the release's transaction:
 * waiters past their wait leave the queue, the oldest one still waiting is taken off it, the key
 * is reserved for it for the hand-off window (a row in place of the one the release deleted), and
 * the release is announced at commit (`fence:waiter:ms/name`, or `fence/name` when nobody is
 * left: see parseReleasePayload), and returns that payload. Part of the schema (setupSchema creates it).
 */
export function relaySql(config: PostgresConfig): string {
  return `CREATE OR REPLACE FUNCTION ${config.relayFunction}(${RELAY_PARAMETERS})
RETURNS text LANGUAGE plpgsql AS $relay$${relayBody(config)}$relay$;`;
}

/**
 * The function's body, as PostgreSQL keeps it (`pg_proc.prosrc`): setupSchema compares it to tell
 * a current function from an older one.
 */
export function relayBody({ locksTable, queueTable }: PostgresConfig): string {
  return `
DECLARE
  now_ms bigint := ${NOW_MS};
  head text;
  payload text;
BEGIN
  DELETE FROM ${queueTable} w WHERE w.name = released AND w.gives_up_at_ms <= now_ms;
  DELETE FROM ${queueTable} w WHERE w.name = released AND w.waiter = (
    SELECT q.waiter FROM ${queueTable} q WHERE q.name = released
    ORDER BY q.arrived_at_ms, q.waiter LIMIT 1
  ) RETURNING w.waiter INTO head;
  IF head IS NOT NULL THEN
    INSERT INTO ${locksTable} (name, key, lock_id, acquired_at_ms, expires_at_ms, fence, waited)
    VALUES (released, released_key, '${RESERVED}' || head, now_ms,
      now_ms + ${HANDOFF_WINDOW_MS - TIME_TOLERANCE_MS}, released_fence, true);
  END IF;
  payload := released_fence || coalesce(':' || head || ':${HANDOFF_WINDOW_MS}', '') || '/' || released;
  PERFORM pg_notify(channel, payload);
  RETURN payload;
END
`;
}
