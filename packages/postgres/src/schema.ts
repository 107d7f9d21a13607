import { isPostgresJs, type PgClientLike } from "./client";
import { type PostgresBackendOptions, type PostgresConfig, resolveConfig } from "./config";

/** Taken by setupSchema so processes creating the tables at once do not collide. */
const SETUP_LOCK_ID = 0x5347_0001; // "SG", schema version 1

/**
 * The DDL for one schema and table prefix: the lock table (a row per live lock, the unique
 * lock_id index that release and extend use) and the fence table (a counter per key that nothing
 * ever deletes). Idempotent. `migrations/001_init.sql` is this text for the default names.
 */
export function schemaSql(options: PostgresBackendOptions = {}): string {
  return ddl(resolveConfig(options));
}

export function ddl(config: PostgresConfig): string {
  const createSchema =
    config.schema === "public" ? "" : `CREATE SCHEMA IF NOT EXISTS "${config.schema}";\n\n`;
  return `-- SyncGuard lock tables (schema version 1). Idempotent: safe to run again.
SELECT pg_advisory_xact_lock(${SETUP_LOCK_ID});
-- "already exists, skipping" notices are noise on every run after the first.
SET LOCAL client_min_messages = warning;

${createSchema}-- One row per lock. Rows of expired locks stay until the key is taken again (or
-- isLocked cleans them, with cleanupInIsLocked); liveness is decided by expires_at_ms.
CREATE TABLE IF NOT EXISTS ${config.locksTable} (
  name            text   COLLATE "C" PRIMARY KEY,   -- the key's storage name (readable, hashed when long)
  key             bytea  NOT NULL,                  -- the whole normalized key, UTF-8
  lock_id         text   COLLATE "C" NOT NULL UNIQUE, -- the holder's secret; release and extend find it here
  acquired_at_ms  bigint NOT NULL,                  -- database clock, ms since the epoch
  expires_at_ms   bigint NOT NULL,                  -- live while now < expires_at_ms + 1000
  fence           bigint NOT NULL
);

-- One counter per key: the last fence issued. Never deleted, never decremented.
CREATE TABLE IF NOT EXISTS ${config.fencesTable} (
  name   text   COLLATE "C" PRIMARY KEY,
  fence  bigint NOT NULL
);
`;
}

/**
 * Creates the tables (and the schema, unless "public") if they are missing, in one transaction.
 * Needs CREATE on the database or schema; run it once at deploy time, or apply the SQL from
 * `schemaSql()` / `migrations/001_init.sql` with your own migration tool instead.
 */
export async function setupSchema(
  client: PgClientLike,
  options: PostgresBackendOptions = {},
): Promise<void> {
  const sql = schemaSql(options);
  // Without parameters both clients use the simple protocol: all statements in one implicit
  // transaction, so the advisory lock covers them.
  if (isPostgresJs(client)) await client.unsafe(sql);
  else await client.query(sql);
}
