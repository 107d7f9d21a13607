import { LockError, type LockErrorCode } from "@syncguard/core";
import { MIGRATION_FILE } from "./schema";

// Maps node-postgres errors to LockError codes by what they say about the statement (ADR-020):
// an error the server sent means the statement was rolled back (each runs on its own, in autocommit),
// so a transient one is ServiceUnavailable; a connection lost with the statement in flight means
// it may have committed: NetworkTimeout for writes.

/** SQLSTATEs that mean the statement lost a race and rolled back: retried by the operation. */
const RETRYABLE = new Set(["40001", "40P01"]); // serialization_failure, deadlock_detected
const AUTH = new Set(["28000", "28P01", "42501"]);
const MISSING = new Set(["42P01", "3F000"]); // undefined_table, invalid_schema_name
/** undefined_column: tables laid out by an older schema version. */
const OUTDATED = new Set(["42703"]);
/** undefined_function: a function of the schema is missing, with or without its tables. */
const UNDEFINED_FUNCTION = "42883";
/** The server refused or gave up on the statement; nothing was written. */
const REFUSED = new Set([
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, recovery)
  "53300", // too_many_connections
  "53000", // insufficient_resources
  "53100", // disk_full
  "53200", // out_of_memory
  "55P03", // lock_not_available (lock_timeout)
  "25006", // read_only_sql_transaction (a standby)
]);
const STATEMENT_TIMEOUT = "57014"; // query_canceled: statement_timeout, or pg_cancel_backend

/** No connection was made: nothing was sent. */
const NOT_CONNECTED = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "CONNECT_TIMEOUT", // postgres.js
  "CONNECTION_ENDED", // postgres.js: sql.end() was called
]);
/** The connection broke: a statement in flight may have run. */
const BROKEN = new Set([
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ECONNABORTED",
  // postgres.js
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
]);
/** node-postgres' own errors for a connection that is gone or never came. */
const CONNECTION_MESSAGE =
  /Connection terminated|not queryable|timeout exceeded when trying to connect|Connection ended|Cannot use a pool after calling end/i;

function codeOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

function messageOf(error: unknown): string {
  if (error instanceof Error && error.message.trim() !== "") return error.message;
  const code = codeOf(error);
  return `${error instanceof Error ? error.name : typeof error}${code ? ` with code ${code}` : ""} and no message`;
}

/** The server answered with an error (a SQLSTATE): the connection itself is fine. */
export function isServerError(error: unknown): boolean {
  return /^[0-9A-Z]{5}$/.test(codeOf(error) ?? "");
}

/** A serialization failure or deadlock: the statement rolled back and may simply run again. */
export function isRetryable(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && RETRYABLE.has(code);
}

/** Whether the error says the connection broke (rather than the server answering). */
function isConnectionLoss(error: unknown): boolean {
  const code = codeOf(error);
  if (code && BROKEN.has(code)) return true;
  return error instanceof Error && CONNECTION_MESSAGE.test(error.message);
}

/** The LockError code for a node-postgres error; `mayHaveRun`: a write was in flight. */
export function classifyPostgresError(error: unknown, mayHaveRun = false): LockErrorCode {
  const code = codeOf(error);
  if (code && AUTH.has(code)) return "AuthFailed";
  if (code && (MISSING.has(code) || OUTDATED.has(code) || code === UNDEFINED_FUNCTION)) {
    return "InvalidArgument";
  }
  if (code && (REFUSED.has(code) || RETRYABLE.has(code) || code.startsWith("08"))) {
    return "ServiceUnavailable";
  }
  if (code === STATEMENT_TIMEOUT) return "NetworkTimeout";
  if (code && NOT_CONNECTED.has(code)) return "ServiceUnavailable";
  if (isConnectionLoss(error)) return mayHaveRun ? "NetworkTimeout" : "ServiceUnavailable";
  return "Internal";
}

/**
 * Wraps a node-postgres error into a LockError with the original as `cause`; LockErrors pass
 * through. A missing table or schema says how to create it.
 */
export function toPostgresLockError(
  error: unknown,
  operation: string,
  mayHaveRun: boolean,
  tables: string,
): LockError {
  if (error instanceof LockError) return error;
  const code = classifyPostgresError(error, mayHaveRun);
  const detail = messageOf(error);
  let message = `PostgreSQL ${operation} failed: ${detail}`;
  if (MISSING.has(codeOf(error) ?? "")) {
    message =
      `PostgreSQL ${operation} failed: the lock tables ${tables} do not exist. ` +
      `Run setupSchema(client) once, or apply schemaSql() (for the default names: @syncguard/postgres/migrations/${MIGRATION_FILE}). Cause: ${detail}`;
  } else if (codeOf(error) === UNDEFINED_FUNCTION) {
    // A schema without the function may have no tables either (an empty schema) or older ones.
    message =
      `PostgreSQL ${operation} failed: the lock tables ${tables} do not exist, or are laid out by an older schema version without its functions. ` +
      `Run setupSchema(client) once, or apply schemaSql() (for the default names: @syncguard/postgres/migrations/${MIGRATION_FILE}). Cause: ${detail}`;
  } else if (OUTDATED.has(codeOf(error) ?? "")) {
    message =
      `PostgreSQL ${operation} failed: the lock tables ${tables} are laid out by an older schema version. ` +
      `Run setupSchema(client) once to migrate them, or apply schemaSql() (for the default names: @syncguard/postgres/migrations/${MIGRATION_FILE}). Cause: ${detail}`;
  } else if (isRetryable(error)) {
    message = `PostgreSQL ${operation} failed: serialization failures or deadlocks persisted after retries; nothing was written: ${detail}`;
  } else if (code === "NetworkTimeout" && codeOf(error) !== STATEMENT_TIMEOUT) {
    message = `PostgreSQL ${operation} failed: the connection broke with the statement in flight, so its outcome is unknown: ${detail}`;
  } else if (code === "ServiceUnavailable") {
    message = `PostgreSQL ${operation} failed; nothing was written: ${detail}`;
  }
  return new LockError(code, message, { cause: error });
}
