import { isLockError, LockError, type LockErrorCode } from "@syncguard/core";
import type { ClientLibrary } from "./clients/adapter";
import { asServerReply, classifyGlideError } from "./clients/glide-errors";

/**
 * Maps node-redis, ioredis and Valkey GLIDE errors (GLIDE's own first: clients/glide-errors.ts) to LockError codes by what they say about the command (ADR-011):
 * `ServiceUnavailable` when it certainly did not run (never written, refused by the server),
 * `NetworkTimeout` when it may have run (the connection failed with it in flight), `AuthFailed`
 * for rejected credentials and permissions. Matched by class name and code, so no runtime import
 * of `redis` is needed.
 */

const AUTH_REPLY = /^(NOAUTH|WRONGPASS|NOPERM)\b/;
// ACL refusals. Top level: "NOPERM this user has no permissions to run the 'evalsha' command".
// Inside a script Redis 7.0 replies "ERR The user executing the script can't run this command or
// subcommand script: <sha>, on @user_script:<line>." without naming the command; later versions
// wrap a NOPERM text that names it.
const PERMISSION_REPLY = /\bNOPERM\b|The user executing the script can't|ACL failure in script/;
const NAMED_COMMAND = /permissions? to run the '([^']+)' command/;
const SCRIPT_LINE = /script: ([0-9a-f]{40}), on @user_script:(\d+)/;
const KEY_REFUSAL = /access (one of|at least one of) the keys/;
const CHANNEL_REFUSAL = /channels? (used as arguments|mentioned)/;

/** Sources of SyncGuard's scripts by SHA-1, so an in-script refusal can name its command. */
const scriptSources = new Map<string, string>();

/** Called for each script SyncGuard defines (scripts.ts). */
export function registerScriptSource(sha: string, source: string): void {
  scriptSources.set(sha, source);
}

/** The source of a script SyncGuard defined, by its SHA-1 (GLIDE invokes scripts by source). */
export function scriptSourceOf(sha: string): string | undefined {
  return scriptSources.get(sha);
}

/** The command a script runs at `line` of its source, read from the `redis.call` there. */
function commandAtScriptLine(sha: string, line: number): string | undefined {
  const source = scriptSources.get(sha);
  const text = source?.split("\n")[line - 1];
  const argument = text && /redis\.p?call\(\s*([^,)\s]+)/.exec(text)?.[1];
  if (!source || !argument) return undefined;
  const quoted = /^'([^']+)'$|^"([^"]+)"$/.exec(argument);
  if (quoted) return quoted[1] ?? quoted[2];
  // A constant such as PUBLISH_COMMAND, defined at the top of the source.
  return new RegExp(`local ${argument} = '([^']+)'`).exec(source)?.[1];
}

/** "permission denied for command INCR" and what to grant, for an ACL refusal. */
function permissionReason(message: string): string {
  const scriptLine = SCRIPT_LINE.exec(message);
  const command = (
    NAMED_COMMAND.exec(message)?.[1] ??
    (scriptLine ? commandAtScriptLine(scriptLine[1] as string, Number(scriptLine[2])) : undefined)
  )?.toUpperCase();
  const what = KEY_REFUSAL.test(message)
    ? `a key it may not access${command ? ` (command ${command})` : ""}: the user's key patterns must cover the backend's keyPrefix`
    : CHANNEL_REFUSAL.test(message)
      ? `a channel it may not use${command ? ` (command ${command})` : ""}: the user's channel patterns must cover the backend's keyPrefix`
      : `command ${command ?? "(not named by the server)"}`;
  return `permission denied for ${what} (${message}); grant it, see the least-privilege ACL in the @syncguard/redis README`;
}
// Before AUTH, Redis 7 refuses commands with many arguments with a protocol error instead of NOAUTH.
const UNAUTHENTICATED_PROTOCOL = /^ERR Protocol error: unauthenticated/;
// Server replies meaning "not now", sent instead of running the command: loading, failover,
// cluster reconfiguration, memory, a busy script.
const REFUSED_REPLY = /^(LOADING|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|READONLY|BUSY|OOM|MISCONF)\b/;
// No connection was ever made: nothing can have been sent.
const NOT_CONNECTED_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ENOTCONN",
]);
// The connection broke: commands written before it did may have run.
const BROKEN_CONNECTION_CODES = new Set(["ECONNRESET", "ECONNABORTED", "EPIPE", "ETIMEDOUT"]);

/** node-redis errors raised for commands that were never written to a socket. */
const NEVER_SENT_CLASSES: Record<string, string> = {
  // The per-command timeout only runs while a command waits to be written (offline queue).
  TimeoutError:
    "the command was never sent: the client was not connected and the command timed out in its offline queue",
  CommandTimeoutDuringMaintenanceError: "the command was never sent (maintenance window)",
  ClientClosedError: "the client is closed",
  ClientOfflineError: "the client is offline (disconnected, offline queue disabled)",
  ReconnectStrategyError: "the client gave up reconnecting",
  RootNodesUnavailableError: "no cluster root node is reachable",
  MaxCommandRedirectionsError: "the cluster kept redirecting the command",
  ConnectionTimeoutError: "connecting to Redis timed out",
  // ioredis
  ClusterAllFailedError: "no cluster node answered (slots cache refresh failed)",
};
/** node-redis errors raised for commands in flight when the connection failed. */
const IN_FLIGHT_CLASSES: Record<string, string> = {
  SocketClosedUnexpectedlyError: "the connection closed while the command was in flight",
  DisconnectsClientError: "the client was disconnected while the command was in flight",
  SocketTimeoutError: "the connection timed out while the command was in flight",
  SocketTimeoutDuringMaintenanceError: "the connection timed out while the command was in flight",
  // ioredis: the command was retried across reconnects (it may have been in flight) and gave up.
  MaxRetriesPerRequestError: "the connection failed and ioredis gave up retrying the command",
};
/** ioredis raises these as plain Errors, told apart by message. */
const NEVER_SENT_MESSAGES =
  /^(Stream isn't writeable and enableOfflineQueue options is false|Cluster isn't ready and enableOfflineQueue options is false|Too many Cluster redirections)/;
// Rejects both queued and in-flight commands when a connection ends for good.
const CONNECTION_CLOSED_MESSAGE = /^Connection is closed\.?$/;

export interface Classified {
  code: LockErrorCode;
  /** What happened, for the message; never empty. */
  reason: string;
}

/** How to connect to a Redis Cluster, and to a single node, with either library. */
const CLUSTER_CLIENTS =
  "a cluster client: node-redis createCluster({ rootNodes }), ioredis (or iovalkey) new Cluster([...])";
const SINGLE_CLIENTS =
  "a single-node client: node-redis createClient({ url }), ioredis (or iovalkey) new Redis(url)";
// A cluster node redirecting a key it does not serve: only a single-node client ever sees these
// (cluster clients follow them).
const REDIRECTION_REPLY = /^(MOVED|ASK) \d+ \S+/;
// A cluster client's CLUSTER SLOTS on a server that is not a cluster node.
const NOT_A_CLUSTER_REPLY = /cluster support disabled/;

/** A client of the wrong kind for the server: a mistake in the setup, not an outage. */
function wrongTopology(message: string): Classified | undefined {
  if (REDIRECTION_REPLY.test(message)) {
    return {
      code: "InvalidArgument",
      reason:
        `the server is a Redis Cluster node and redirected the command (${message}); a ` +
        `single-node client cannot follow that: connect with ${CLUSTER_CLIENTS}`,
    };
  }
  if (NOT_A_CLUSTER_REPLY.test(message)) {
    return {
      code: "InvalidArgument",
      reason: `the server is not a Redis Cluster node (${message}): connect with ${SINGLE_CLIENTS}`,
    };
  }
  return undefined;
}

/** Why a single-node client was refused on a Redis Cluster node, for the first-use check. */
export function clusterNodeError(operation: string, library: ClientLibrary): LockError {
  const instead =
    library === "node-redis"
      ? "createCluster({ rootNodes }) from node-redis"
      : library === "glide"
        ? "GlideClusterClient.createClient({ addresses }) from Valkey GLIDE"
        : "new Cluster([...]) from ioredis (or iovalkey)";
  return new LockError(
    "InvalidArgument",
    `Redis ${operation} failed: the server is a Redis Cluster node (cluster_enabled:1) and the ` +
      "client a single-node client, which reaches only the keys of that node (the others fail " +
      `with MOVED): connect with a cluster client, ${instead}`,
  );
}

function classifyOne(error: Error): Classified | undefined {
  const glide = classifyGlideError(error);
  if (glide !== undefined) return glide;
  const message = error.message ?? "";
  const className = error.constructor?.name ?? "Error";
  const code = (error as { code?: unknown }).code;
  const said = (fallback: string) => (message.trim() === "" ? fallback : message);
  if (typeof code === "string") {
    if (NOT_CONNECTED_CODES.has(code)) return { code: "ServiceUnavailable", reason: said(code) };
    if (BROKEN_CONNECTION_CODES.has(code)) {
      return { code: "NetworkTimeout", reason: `${said(code)} (the command may have run)` };
    }
  }
  if (PERMISSION_REPLY.test(message))
    return { code: "AuthFailed", reason: permissionReason(message) };
  if (AUTH_REPLY.test(message) || UNAUTHENTICATED_PROTOCOL.test(message)) {
    return { code: "AuthFailed", reason: message };
  }
  if (REFUSED_REPLY.test(message)) return { code: "ServiceUnavailable", reason: message };
  if (NEVER_SENT_MESSAGES.test(message)) {
    return { code: "ServiceUnavailable", reason: `the command was never sent: ${message}` };
  }
  if (CONNECTION_CLOSED_MESSAGE.test(message)) {
    return { code: "NetworkTimeout", reason: `${message} (the command may have run)` };
  }
  const neverSent = NEVER_SENT_CLASSES[className];
  if (neverSent !== undefined) {
    return { code: "ServiceUnavailable", reason: message ? `${neverSent}: ${message}` : neverSent };
  }
  const inFlight = IN_FLIGHT_CLASSES[className];
  if (inFlight !== undefined) {
    return {
      code: "NetworkTimeout",
      reason: `${message ? `${inFlight}: ${message}` : inFlight} (the command may have run)`,
    };
  }
  if (className === "AbortError") return { code: "Aborted", reason: "aborted by its signal" };
  if (/timed? ?out/i.test(message)) {
    return { code: "NetworkTimeout", reason: `${message} (the command may have run)` };
  }
  return undefined;
}

/**
 * Errors the clients wrap keep the socket error in `cause`, `originalError` or `socketError`;
 * ioredis's cluster errors keep the last node's reply in `lastNodeError`.
 */
function nested(error: Error): unknown[] {
  const holder = error as {
    cause?: unknown;
    originalError?: unknown;
    socketError?: unknown;
    lastNodeError?: unknown;
  };
  return [holder.socketError, holder.originalError, holder.cause, holder.lastNodeError];
}

/**
 * An Error from any realm: Node's own errors (a refused connection) fail `instanceof Error` where
 * the client library runs in another realm (a vm context, a test runner's sandbox).
 */
export function isErrorLike(value: unknown): value is Error {
  return (
    value instanceof Error ||
    (typeof value === "object" &&
      value !== null &&
      typeof (value as { message?: unknown }).message === "string" &&
      typeof (value as { name?: unknown }).name === "string")
  );
}

/** The error and every error it wraps, outermost first. */
function chain(error: unknown): Error[] {
  const seen = new Set<unknown>();
  const found: Error[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const current = queue.shift();
    if (!isErrorLike(current) || seen.has(current)) continue;
    seen.add(current);
    found.push(current);
    queue.push(...nested(current));
  }
  return found;
}

function classify(error: unknown): Classified | undefined {
  const errors = chain(error).map(asServerReply);
  // A client of the wrong kind says so wherever the reply sits (ioredis wraps it in an outage).
  for (const current of errors) {
    const misuse = wrongTopology(current.message ?? "");
    if (misuse) return misuse;
  }
  for (const current of errors) {
    const found = classifyOne(current);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The LockError code for a node-redis or ioredis error, or undefined when it is not recognised. */
export function classifyRedisError(error: unknown): LockErrorCode | undefined {
  return classify(error)?.code;
}

/** Wraps a client error as a LockError (Internal when unrecognised), keeping it as `cause`. */
export function toRedisLockError(error: unknown, operation: string): LockError {
  if (isLockError(error)) return error;
  const found = classify(error);
  const detail = isErrorLike(error)
    ? asServerReply(error).message.trim() || error.constructor?.name || "Error"
    : String(error) || typeof error;
  return new LockError(
    found?.code ?? "Internal",
    `Redis ${operation} failed: ${found?.reason ?? detail}`,
    {
      cause: error,
    },
  );
}

/**
 * The error for a call made while the client has no connection: nothing was sent. The client's
 * last error says why when it is not an outage: refused credentials (AuthFailed, so lock() stops
 * at once instead of retrying until its timeout) or a client of the wrong kind (InvalidArgument).
 */
export function notConnectedError(operation: string, lastError: Error | undefined): LockError {
  const refusal = connectionRefusal(operation, lastError);
  if (refusal) return refusal;
  const said = lastError ? lastError.message.trim() || lastError.constructor?.name : undefined;
  return new LockError(
    "ServiceUnavailable",
    `Redis ${operation} failed: the client is not connected (disconnected or reconnecting${
      said ? `; its last error: ${said}` : ""
    }); the command was not sent`,
    lastError ? { cause: lastError } : undefined,
  );
}

/**
 * The error a client's connection error means when waiting longer cannot help: refused
 * credentials (AuthFailed) or a client of the wrong kind for the server (InvalidArgument).
 */
export function connectionRefusal(
  operation: string,
  lastError: Error | undefined,
): LockError | undefined {
  const found = lastError === undefined ? undefined : classify(lastError);
  if (found?.code === "AuthFailed") {
    return new LockError(
      "AuthFailed",
      `Redis ${operation} failed: the client cannot connect, the server refused its credentials (${found.reason}); the command was not sent`,
      { cause: lastError },
    );
  }
  if (found?.code === "InvalidArgument") {
    return new LockError(
      "InvalidArgument",
      `Redis ${operation} failed: the client cannot connect: ${found.reason}; the command was not sent`,
      { cause: lastError },
    );
  }
  return undefined;
}

/** An operation that waited for the client's first connection until its deadline: nothing was sent. */
export function firstConnectionTimeoutError(
  operation: string,
  operationTimeoutMs: number,
  lastError: Error | undefined,
): LockError {
  const said = lastError ? lastError.message.trim() || lastError.constructor?.name : undefined;
  return new LockError(
    "ServiceUnavailable",
    `Redis ${operation} failed: the client's first connection was not ready within ` +
      `operationTimeoutMs (${operationTimeoutMs} ms${said ? `; its last error: ${said}` : ""}); ` +
      "the command was not sent",
    lastError ? { cause: lastError } : undefined,
  );
}

/** An operation whose command was handed to a connected client and got no reply in time. */
export function noReplyError(operation: string, operationTimeoutMs: number): LockError {
  return new LockError(
    "NetworkTimeout",
    `Redis ${operation} failed: no reply within operationTimeoutMs (${operationTimeoutMs} ms); ` +
      "the command was sent and may have run",
  );
}

/** True for the reply Redis gives when a script is not in its cache (restart, failover, flush). */
export function isNoScriptError(error: unknown): boolean {
  return isErrorLike(error) && error.message.startsWith("NOSCRIPT");
}
