import { type PostgresBackendOptions, type PostgresConfig, resolveConfig } from "./config";
import { permitQueueTableSql, relayPermitSql } from "./permit-relay";
import { acquirePermitSql, permitsTableSql } from "./permits-sql";
import { relaySql } from "./relay";
import { ROUTES } from "./storage";

/**
 * Taken by setupSchema so processes creating or migrating the tables at once do not collide.
 * The same number as version 1's setup, so a setup of either version waits for the other.
 */
const SETUP_LOCK_ID = 0x5347_0001; // "SG", first taken by schema version 1

/** The schema version `schemaSql` creates (and brings tables of versions 1 to 3 to). */
export const SCHEMA_VERSION = 4;

/** The shipped migration holding `schemaSql()` for the default names (in `migrations/`). */
export const MIGRATION_FILE = "004_permit_queue.sql";

/**
 * The DDL for one schema and table prefix, schema version 4: the lock table (a row per lock, the
 * unique lock_id index that release and extend use), the fence table (one counter per route, that
 * nothing ever deletes or lowers), the wait queue, the relay function that hands a released key
 * to the oldest waiter, the permits of semaphores with the function that takes one (ADR-039), and
 * the permit waiters' queue with the function that hands a freed permit to the oldest of them.
 * Idempotent, and run on tables of version 1 it migrates them: the per-key counters are folded
 * into the route counters, none lower than the highest of them; on version 2 it adds the
 * semaphore objects, on version 3 the permit queue (version 3's six-parameter acquire_permit is
 * left in place for processes of version 3 still running). `migrations/004_permit_queue.sql` is
 * this text for the default names (`002_*` and `003_*` are versions 2 and 3, unchanged).
 */
export function schemaSql(options: PostgresBackendOptions = {}): string {
  return ddl(resolveConfig(options));
}

/** A table name without its schema, as a string literal for `to_regclass`. */
const regclass = (qualified: string) => `'${qualified}'`;

/**
 * Creates the schema only when it is missing: CREATE SCHEMA IF NOT EXISTS would ask for CREATE on
 * the database even for a schema that exists. (The advisory lock serializes setups.)
 */
function createSchemaSql(schema: string): string {
  return `DO $schema$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = '${schema}') THEN
    CREATE SCHEMA "${schema}";
  END IF;
END
$schema$;

`;
}

export function ddl(config: PostgresConfig): string {
  const { locksTable, fencesTable, queueTable } = config;
  const createSchema = config.schema === "public" ? "" : createSchemaSql(config.schema);
  return `-- SyncGuard lock tables, schema version ${SCHEMA_VERSION}. Idempotent: safe to run again. Run on the
-- tables of version 1 it migrates them in place (one transaction; see the comments below).
SELECT pg_advisory_xact_lock(${SETUP_LOCK_ID});
-- "already exists, skipping" notices are noise on every run after the first.
SET LOCAL client_min_messages = warning;

${createSchema}-- One row per lock. Rows of expired locks stay until the key is taken again (or
-- isLocked cleans them, with cleanupInIsLocked); liveness is decided by expires_at_ms. For a
-- moment after a contended release the row is a reservation for the oldest waiter: its lock_id
-- is "~" and that waiter's id (never a lockId), and it lives for the hand-off window.
CREATE TABLE IF NOT EXISTS ${locksTable} (
  name            text    COLLATE "C" PRIMARY KEY,   -- the key's storage name (readable, hashed when long)
  key             bytea   NOT NULL,                  -- the whole normalized key, UTF-8
  lock_id         text    COLLATE "C" NOT NULL UNIQUE, -- the holder's secret; release and extend find it here
  acquired_at_ms  bigint  NOT NULL,                  -- database clock, ms since the epoch
  expires_at_ms   bigint  NOT NULL,                  -- live while now < expires_at_ms + 1000
  fence           bigint  NOT NULL,
  waited          boolean NOT NULL DEFAULT false     -- an attempt was turned away: the release hands the key on
);
-- Version 1 had no waited column.
ALTER TABLE ${locksTable} ADD COLUMN IF NOT EXISTS waited boolean NOT NULL DEFAULT false;

-- Version 1 kept one fence counter per key ever locked (a name column). Version 2 keeps one per
-- route (${ROUTES}, from the key's tag): the table is locked against every writer, every route
-- counter starts at the highest per-key counter, so no key's next fence can be lower than one it
-- was issued, and the per-key rows go. A process of version 1 still running afterwards fails to
-- acquire (its statements name the old columns) instead of issuing a fence out of order.
DO $migrate$
DECLARE
  highest bigint;
BEGIN
  IF EXISTS (
    SELECT 1 FROM pg_attribute
    WHERE attrelid = to_regclass(${regclass(fencesTable)}) AND attname = 'name' AND NOT attisdropped
  ) THEN
    LOCK TABLE ${fencesTable} IN ACCESS EXCLUSIVE MODE;
    SELECT max(fence) INTO highest FROM ${fencesTable};
    DROP TABLE ${fencesTable};
    CREATE TABLE ${fencesTable} (
      route  smallint PRIMARY KEY,
      fence  bigint   NOT NULL
    ) WITH (fillfactor = 50);
    IF highest IS NOT NULL THEN
      INSERT INTO ${fencesTable} (route, fence)
      SELECT route, highest FROM generate_series(0, ${ROUTES - 1}) AS route;
    END IF;
  END IF;
END
$migrate$;

-- One counter per route (0..${ROUTES - 1}): the last fence issued to any of its keys. Never
-- deleted, never decremented. Half-full pages keep each increment a HOT update. (No CHECK
-- constraint: PostgreSQL would rebuild its expression on every statement that bumps a counter.)
CREATE TABLE IF NOT EXISTS ${fencesTable} (
  route  smallint PRIMARY KEY,
  fence  bigint   NOT NULL
) WITH (fillfactor = 50);

-- Callers waiting for a key, in arrival order (database clock). A row leaves when its waiter
-- gets the key, gives up (withdraw), or is found past gives_up_at_ms by a release of the key.
CREATE TABLE IF NOT EXISTS ${queueTable} (
  name            text   COLLATE "C" NOT NULL,     -- the key's storage name
  waiter          text   COLLATE "C" NOT NULL,     -- core's waiter id (one per acquisition)
  arrived_at_ms   bigint NOT NULL,
  gives_up_at_ms  bigint NOT NULL,
  PRIMARY KEY (name, waiter)
);

-- Hands a released key to the oldest waiter: called by a release of a lock that turned an
-- attempt away, in its statement (see relaySql in src/relay.ts).
${relaySql(config)}

${permitsTableSql(config)}

${permitQueueTableSql(config)}

-- Hands a freed permit to the semaphore's oldest waiter: called by a permit's release, in its
-- statement (see src/permit-relay.ts).
${relayPermitSql(config)}

-- Takes a permit of a semaphore: one attempt, in its statement (see src/permits-sql.ts). Version 3
-- took six parameters; that function stays for processes of version 3 (it does not queue).
${acquirePermitSql(config)}
`;
}
