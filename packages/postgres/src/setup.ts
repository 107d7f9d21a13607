import { LockError } from "@syncguard/core";
import {
  isPool,
  isPostgresJs,
  looksLikeClient,
  NOT_A_CLIENT,
  type PgClientLike,
  type PgQueryConfigLike,
} from "./client";
import { type PostgresBackendOptions, type PostgresConfig, resolveConfig } from "./config";
import { queueOf } from "./connection-queue";
import { toPostgresLockError } from "./errors";
import { ddl, MIGRATION_FILE } from "./schema";
import { type SchemaState, schemaStateSql, schemaStateValues, toSchemaState } from "./schema-state";

/**
 * Makes sure the lock tables of schema version 4 exist. First one read of the system catalogs:
 * when every table has its columns and every function its current text, it returns without
 * writing anything, so a role with only SELECT, INSERT, UPDATE, DELETE (and EXECUTE) can call it
 * at startup once the tables were set up. Otherwise it runs the DDL (`schemaSql(options)`): the
 * tables (and the schema, unless "public") are created, or tables of schema version 1 migrated,
 * in one transaction. That needs CREATE on the schema (and on the database for a schema that does
 * not exist yet) and ownership of the existing tables; a role without them gets
 * `LockError("AuthFailed")` saying which it lacks. Errors are LockErrors, like every operation's.
 */
export async function setupSchema(
  client: PgClientLike,
  options: PostgresBackendOptions = {},
): Promise<void> {
  if (!looksLikeClient(client)) throw new LockError("InvalidArgument", NOT_A_CLIENT);
  const config = resolveConfig(options);
  const tables = config.allTables;
  let state: SchemaState;
  try {
    const rows = await run(client, {
      text: schemaStateSql(config),
      values: schemaStateValues(config),
    });
    state = toSchemaState(config, rows[0] ?? {});
  } catch (error) {
    throw toPostgresLockError(error, "setupSchema", false, tables);
  }
  if (state.current) return;
  try {
    // Without parameters both clients use the simple protocol: all statements in one implicit
    // transaction, so the advisory lock the DDL takes first covers them.
    await run(client, ddl(config));
  } catch (error) {
    if (isPrivilegeError(error)) throw notPermitted(config, state, error);
    throw toPostgresLockError(error, "setupSchema", true, tables);
  }
}

/** One statement for setupSchema; on a caller's pg.Client in its turn with the backends' ones. */
async function run(
  client: PgClientLike,
  statement: string | Required<Omit<PgQueryConfigLike, "name">>,
): Promise<Record<string, unknown>[]> {
  if (isPostgresJs(client)) {
    return typeof statement === "string"
      ? [...(await client.unsafe(statement))]
      : [...(await client.unsafe(statement.text, statement.values))];
  }
  if (isPool(client)) return (await client.query(statement)).rows;
  const sent = await queueOf(client).send(() => client.query(statement), Number.POSITIVE_INFINITY);
  if (sent.by !== "sent") throw new Error("unreachable: no deadline and no signal");
  return (await sent.pending).rows;
}

function isPrivilegeError(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "42501";
}

/** AuthFailed naming what the role lacks, and how an administrator can set the tables up instead. */
function notPermitted(config: PostgresConfig, state: SchemaState, cause: unknown): LockError {
  const { schema } = config;
  const needs: string[] = [];
  if (!state.schemaExists && !state.createOnDatabase) {
    needs.push(`CREATE on database "${state.database}" (to create schema "${schema}")`);
  }
  if (state.schemaExists && !state.createOnSchema) needs.push(`CREATE on schema "${schema}"`);
  if (state.notOwned.length > 0) {
    const objects = state.notOwned.map((name) => `"${schema}".${name}`).join(", ");
    needs.push(`ownership of ${objects} (setupSchema alters or replaces them)`);
  }
  const lacks =
    needs.length > 0 ? `it lacks ${needs.join(", and ")}` : "it lacks a privilege the DDL needs";
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new LockError(
    "AuthFailed",
    `PostgreSQL setupSchema failed: role "${state.role}" may not create or upgrade the lock tables in schema "${schema}" ` +
      `(missing or outdated: ${state.missing.join(", ")}): ${lacks}; PostgreSQL said "${detail}". ` +
      "Grant what it lacks, or have an administrator run setupSchema or apply schemaSql() " +
      `(for the default names: @syncguard/postgres/migrations/${MIGRATION_FILE}); ` +
      "this role then needs only SELECT, INSERT, UPDATE, DELETE on the tables and EXECUTE on the functions, and its setupSchema changes nothing.",
    { cause },
  );
}
