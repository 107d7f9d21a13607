import type { ErrorClassifier, LockErrorCode } from "@syncguard/core";

const AUTH_REPLY = /^(NOAUTH|WRONGPASS|NOPERM)\b/;
// Before AUTH, Redis 7 refuses commands with many arguments with a protocol error instead of NOAUTH.
const UNAUTHENTICATED_PROTOCOL = /^ERR Protocol error: unauthenticated/;
// Server replies meaning "not now": loading, failover, cluster reconfiguration, memory, busy script.
const UNAVAILABLE_REPLY = /^(LOADING|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|READONLY|BUSY|OOM|MISCONF)\b/;
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ENOTCONN",
]);
// node-redis error classes (v5/v6), matched by name so no runtime import of `redis` is needed.
const UNAVAILABLE_CLASSES = new Set([
  "ClientClosedError",
  "ClientOfflineError",
  "SocketClosedUnexpectedlyError",
  "DisconnectsClientError",
  "RootNodesUnavailableError",
  "ReconnectStrategyError",
  "MaxCommandRedirectionsError",
]);
const TIMEOUT_CLASSES = new Set([
  "TimeoutError",
  "SocketTimeoutError",
  "ConnectionTimeoutError",
  "SocketTimeoutDuringMaintenanceError",
  "CommandTimeoutDuringMaintenanceError",
]);

function classifyOne(error: Error): LockErrorCode | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    if (code === "ETIMEDOUT") return "NetworkTimeout";
    if (CONNECTION_CODES.has(code)) return "ServiceUnavailable";
  }
  const message = error.message ?? "";
  if (AUTH_REPLY.test(message) || UNAUTHENTICATED_PROTOCOL.test(message)) return "AuthFailed";
  if (UNAVAILABLE_REPLY.test(message)) return "ServiceUnavailable";
  const className = error.constructor?.name ?? "";
  if (TIMEOUT_CLASSES.has(className)) return "NetworkTimeout";
  if (UNAVAILABLE_CLASSES.has(className)) return "ServiceUnavailable";
  if (className === "AbortError") return "Aborted";
  if (/timed? ?out/i.test(message)) return "NetworkTimeout";
  return undefined;
}

/** Errors node-redis wraps keep the socket error in `cause`, `originalError` or `socketError`. */
function nested(error: Error): unknown[] {
  const holder = error as { cause?: unknown; originalError?: unknown; socketError?: unknown };
  return [holder.socketError, holder.originalError, holder.cause];
}

/**
 * Maps node-redis errors to LockError codes: transport failures to ServiceUnavailable, rejected
 * credentials to AuthFailed, timeouts to NetworkTimeout. Unknown errors stay unclassified
 * (`toLockError` makes them Internal).
 */
export const classifyRedisError: ErrorClassifier = (error) => {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const current = queue.shift();
    if (!(current instanceof Error) || seen.has(current)) continue;
    seen.add(current);
    const code = classifyOne(current);
    if (code !== undefined) return code;
    queue.push(...nested(current));
  }
  return undefined;
};

/** True for the reply Redis gives when a script is not in its cache (restart, failover, flush). */
export function isNoScriptError(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("NOSCRIPT");
}
