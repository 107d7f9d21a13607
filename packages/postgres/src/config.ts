import { LockError, type Logger } from "@syncguard/core";
import {
  checkBackendOptionNames,
  keyDigest,
  validateLogger,
  validateTtl,
} from "@syncguard/core/driver";

export interface PostgresBackendOptions {
  /** Schema holding the tables. Default "public". */
  schema?: string;
  /** Prefix of the table names: `<prefix>locks`, `<prefix>fences`, `<prefix>queue`. Default "syncguard_". */
  tablePrefix?: string;
  /** Let isLocked delete lock rows expired past the cleanup guard (never fence counters). Default false. */
  cleanupInIsLocked?: boolean;
  /**
   * Upper bound on one operation (waiting for a pooled connection, the statement, retries of
   * serialization failures), in ms. Past it the call rejects: `ServiceUnavailable` when the
   * statement was never sent, `NetworkTimeout` when it was (its outcome is then unknown).
   * Default 10 000, at most 2^31 - 1.
   */
  operationTimeoutMs?: number;
  /**
   * Wake-ups on release with LISTEN/NOTIFY (one listening connection per backend). Turn off
   * behind a transaction pooler (PgBouncer in transaction mode), where LISTEN does not work:
   * waiters then poll. Default true.
   */
  notify?: boolean;
  /**
   * Where the backend's warnings go (a fence near its limit), and the default logger of locks
   * made from this backend. Default: the console.
   */
  logger?: Logger;
}

/** Every option `createPostgresBackend` takes. */
export const POSTGRES_BACKEND_OPTION_NAMES: ReadonlySet<string> = new Set([
  "schema",
  "tablePrefix",
  "cleanupInIsLocked",
  "operationTimeoutMs",
  "notify",
  "logger",
]);

/** 2.x's PostgreSQL options, and what to write instead. */
export const POSTGRES_FOREIGN_OPTION_NAMES: Readonly<Record<string, string>> = Object.freeze({
  tableName:
    'tables are named <tablePrefix>locks and <tablePrefix>fences: use tablePrefix (default "syncguard_") and schema',
  fenceTableName:
    'tables are named <tablePrefix>locks and <tablePrefix>fences: use tablePrefix (default "syncguard_") and schema',
});

export interface PostgresConfig {
  readonly schema: string;
  readonly tablePrefix: string;
  readonly cleanupInIsLocked: boolean;
  readonly operationTimeoutMs: number;
  readonly notify: boolean;
  /** Quoted, schema-qualified table names, ready for SQL text. */
  readonly locksTable: string;
  readonly fencesTable: string;
  readonly queueTable: string;
  /** The hand-off function a contended release calls (see relaySql). */
  readonly relayFunction: string;
  /** Schema version 3: permits of semaphores (ADR-039), and the function that takes one. */
  readonly permitsTable: string;
  readonly acquirePermitFunction: string;
  /** Schema version 4: the permit waiters' queue, and the hand-off of a freed permit. */
  readonly permitQueueTable: string;
  readonly relayPermitFunction: string;
  /** Every table of the schema, for error messages that say which are missing. */
  readonly allTables: string;
  /** The NOTIFY channel releases are announced on: one per schema and prefix (a digest of both). */
  readonly channel: string;
  readonly logger?: Logger;
}

export const POSTGRES_DEFAULTS = Object.freeze({
  schema: "public",
  tablePrefix: "syncguard_",
  cleanupInIsLocked: false,
  operationTimeoutMs: 10_000,
  notify: true,
});

/** PostgreSQL truncates identifiers past 63 bytes (NAMEDATALEN - 1): two names could meet. */
export const MAX_IDENTIFIER_BYTES = 63;
/**
 * The longest suffix added to the prefix: the function "acquire_permit" (the tables' and the other
 * functions' names are shorter). A longer prefix would let PostgreSQL truncate it silently.
 */
const LONGEST_SUFFIX = "acquire_permit";

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

function invalid(message: string): LockError {
  return new LockError("InvalidArgument", message);
}

/**
 * Names are lower-case ASCII identifiers, so they mean the same quoted or unquoted, and cannot
 * inject SQL (they are spliced into statement text).
 */
function validateName(value: unknown, name: string, maxBytes: number, allowEmpty: boolean): string {
  if (typeof value !== "string") throw invalid(`${name} must be a string`);
  if (value === "" && allowEmpty) return value;
  if (!IDENTIFIER.test(value)) {
    throw invalid(
      `${name} must be lower-case letters, digits and "_", not starting with a digit: ${JSON.stringify(value)}`,
    );
  }
  if (value.length > maxBytes) throw invalid(`${name} must be at most ${maxBytes} characters`);
  if (value.startsWith("pg_")) {
    throw invalid(`${name} must not start with "pg_" (reserved by PostgreSQL)`);
  }
  return value;
}

/** Applies defaults and validates; throws `LockError("InvalidArgument")` synchronously. */
export function resolveConfig(options: PostgresBackendOptions = {}): PostgresConfig {
  if (options === null || typeof options !== "object") {
    throw invalid("PostgreSQL backend options must be an object");
  }
  checkBackendOptionNames(
    options,
    POSTGRES_BACKEND_OPTION_NAMES,
    "createPostgresBackend() options",
    POSTGRES_FOREIGN_OPTION_NAMES,
  );
  const schema = validateName(
    options.schema ?? POSTGRES_DEFAULTS.schema,
    "schema",
    MAX_IDENTIFIER_BYTES,
    false,
  );
  const tablePrefix = validateName(
    options.tablePrefix ?? POSTGRES_DEFAULTS.tablePrefix,
    "tablePrefix",
    MAX_IDENTIFIER_BYTES - LONGEST_SUFFIX.length,
    true,
  );
  const cleanupInIsLocked = options.cleanupInIsLocked ?? POSTGRES_DEFAULTS.cleanupInIsLocked;
  if (typeof cleanupInIsLocked !== "boolean") throw invalid("cleanupInIsLocked must be a boolean");
  const notify = options.notify ?? POSTGRES_DEFAULTS.notify;
  if (typeof notify !== "boolean") throw invalid("notify must be a boolean");
  const operationTimeoutMs = validateTtl(
    options.operationTimeoutMs ?? POSTGRES_DEFAULTS.operationTimeoutMs,
    "operationTimeoutMs",
  );
  const logger = validateLogger(options.logger);
  const table = (suffix: string) => `"${schema}"."${tablePrefix}${suffix}"`;
  return Object.freeze({
    ...(logger ? { logger } : {}),
    schema,
    tablePrefix,
    cleanupInIsLocked,
    operationTimeoutMs,
    notify,
    locksTable: table("locks"),
    fencesTable: table("fences"),
    queueTable: table("queue"),
    relayFunction: table("relay"),
    permitsTable: table("permits"),
    acquirePermitFunction: table("acquire_permit"),
    permitQueueTable: table("permit_queue"),
    relayPermitFunction: table("relay_permit"),
    allTables: ["locks", "fences", "queue", "permits", "permit_queue"].map(table).join(", "),
    channel: `syncguard_release_${keyDigest(`${schema}.${tablePrefix}`, 16)}`,
  });
}
