import type { PostgresConfig } from "./config";
import { RELAY_PERMIT_PARAMETERS, relayPermitBody } from "./permit-relay";
import { ACQUIRE_PERMIT_PARAMETERS, acquirePermitBody } from "./permits-sql";
import { RELAY_PARAMETERS, relayBody } from "./relay";

/** The columns of each table of schema version 4, by table suffix (see `ddl` in schema.ts). */
export const SCHEMA_COLUMNS: Readonly<
  Record<"locks" | "fences" | "queue" | "permits" | "permit_queue", readonly string[]>
> = {
  locks: ["name", "key", "lock_id", "acquired_at_ms", "expires_at_ms", "fence", "waited"],
  fences: ["route", "fence"],
  queue: ["name", "waiter", "arrived_at_ms", "gives_up_at_ms"],
  permits: ["name", "lock_id", "key", "permits", "acquired_at_ms", "expires_at_ms", "fence"],
  permit_queue: ["name", "waiter", "arrived_at_ms", "gives_up_at_ms"],
};

/** What the catalogs say about one table set, and what the connected role may do to it. */
export interface SchemaState {
  /** Every table has its columns and every function its current text: nothing to do. */
  readonly current: boolean;
  /** What is missing or outdated, by name ("syncguard_queue", "syncguard_relay()"). */
  readonly missing: readonly string[];
  readonly role: string;
  readonly database: string;
  readonly schemaExists: boolean;
  readonly createOnDatabase: boolean;
  readonly createOnSchema: boolean;
  /** Existing objects the DDL alters or replaces that the role does not own. */
  readonly notOwned: readonly string[];
}

/** A name as an SQL string literal (names are validated identifiers: no quote inside). */
const literal = (name: string) => `'${name}'`;

/**
 * One read of the system catalogs (no privilege on the tables needed, no lock taken): whether the
 * tables of schema version 4 and its three functions are all there, and, for setupSchema's error
 * messages, which privileges the DDL would need that the connected role lacks. Parameters: the
 * relay function's current body ($1), the permit function's ($2), the permit relay's ($3).
 */
export function schemaStateSql(config: PostgresConfig): string {
  const { schema, tablePrefix: prefix } = config;
  const columns = Object.entries(SCHEMA_COLUMNS)
    .flatMap(([table, names]) => names.map((c) => `(${literal(prefix + table)}, ${literal(c)})`))
    .join(", ");
  const tables = Object.keys(SCHEMA_COLUMNS).map((t) => literal(prefix + t));
  const fences = literal(`${prefix}fences`);
  const relay = `${prefix}relay`;
  const permit = `${prefix}acquire_permit`;
  const relayPermit = `${prefix}relay_permit`;
  return `WITH s AS (SELECT oid FROM pg_namespace WHERE nspname = ${literal(schema)}),
  wanted (rel, col) AS (VALUES ${columns}),
  rel AS (
    SELECT c.oid, c.relname, c.relowner FROM pg_class c
    WHERE c.relnamespace = (SELECT oid FROM s) AND c.relkind IN ('r', 'p')
      AND c.relname IN (${tables.join(", ")})
  ),
  relay AS (
    SELECT p.prosrc, p.proowner FROM pg_proc p
    WHERE p.pronamespace = (SELECT oid FROM s) AND p.proname = ${literal(relay)}
      AND pg_get_function_identity_arguments(p.oid) = ${literal(RELAY_PARAMETERS)}
  ),
  permit_fn AS (
    SELECT p.prosrc, p.proowner FROM pg_proc p
    WHERE p.pronamespace = (SELECT oid FROM s) AND p.proname = ${literal(permit)}
      AND pg_get_function_identity_arguments(p.oid) = ${literal(ACQUIRE_PERMIT_PARAMETERS)}
  ),
  relay_permit AS (
    SELECT p.prosrc, p.proowner FROM pg_proc p
    WHERE p.pronamespace = (SELECT oid FROM s) AND p.proname = ${literal(relayPermit)}
      AND pg_get_function_identity_arguments(p.oid) = ${literal(RELAY_PERMIT_PARAMETERS)}
  ),
  -- Version 1's fence table had a name column: the migration drops that table.
  v1_fences AS (
    SELECT rel.relname FROM rel JOIN pg_attribute a ON a.attrelid = rel.oid
    WHERE rel.relname = ${fences} AND a.attname = 'name' AND NOT a.attisdropped
  )
SELECT current_user::text AS role,
  current_database()::text AS database,
  EXISTS (SELECT 1 FROM s) AS schema_exists,
  has_database_privilege(current_database(), 'CREATE') AS create_on_database,
  coalesce((SELECT has_schema_privilege(oid, 'CREATE') FROM s), false) AS create_on_schema,
  ARRAY(
    SELECT DISTINCT wanted.rel::text FROM wanted WHERE NOT EXISTS (
      SELECT 1 FROM rel JOIN pg_attribute a ON a.attrelid = rel.oid
      WHERE rel.relname = wanted.rel AND a.attname = wanted.col AND a.attnum > 0 AND NOT a.attisdropped
    ) ORDER BY 1
  ) AS missing_tables,
  EXISTS (SELECT 1 FROM relay WHERE replace(prosrc, E'\\r', '') = $1) AS relay_current,
  EXISTS (SELECT 1 FROM permit_fn WHERE replace(prosrc, E'\\r', '') = $2) AS permit_current,
  EXISTS (SELECT 1 FROM relay_permit WHERE replace(prosrc, E'\\r', '') = $3) AS relay_permit_current,
  ARRAY(
    SELECT relname::text FROM rel
    WHERE NOT pg_has_role(relowner, 'USAGE')
      AND (relname = ${literal(`${prefix}locks`)} OR relname IN (SELECT relname FROM v1_fences))
    UNION ALL
    SELECT ${literal(`${relay}()`)} FROM relay WHERE NOT pg_has_role(proowner, 'USAGE')
    UNION ALL
    SELECT ${literal(`${permit}()`)} FROM permit_fn WHERE NOT pg_has_role(proowner, 'USAGE')
    UNION ALL
    SELECT ${literal(`${relayPermit}()`)} FROM relay_permit WHERE NOT pg_has_role(proowner, 'USAGE')
  ) AS not_owned`;
}

/** The parameters of `schemaStateSql`. */
export function schemaStateValues(config: PostgresConfig): unknown[] {
  return [relayBody(config), acquirePermitBody(config), relayPermitBody(config)];
}

/** Reads one row of `schemaStateSql`. */
export function toSchemaState(config: PostgresConfig, row: Record<string, unknown>): SchemaState {
  const missing = [...((row.missing_tables as string[] | null) ?? [])];
  if (row.relay_current !== true) missing.push(`${config.tablePrefix}relay()`);
  if (row.permit_current !== true) missing.push(`${config.tablePrefix}acquire_permit()`);
  if (row.relay_permit_current !== true) missing.push(`${config.tablePrefix}relay_permit()`);
  return {
    current: missing.length === 0,
    missing,
    role: String(row.role),
    database: String(row.database),
    schemaExists: row.schema_exists === true,
    createOnDatabase: row.create_on_database === true,
    createOnSchema: row.create_on_schema === true,
    notOwned: (row.not_owned as string[] | null) ?? [],
  };
}
