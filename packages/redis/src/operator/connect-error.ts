import { LockError } from "@syncguard/core";
import { classifyRedisError } from "../errors";
import type { RedisSettings } from "./settings";

/**
 * What went wrong while connecting, said the same whichever client connects. The clients report
 * it differently: node-redis rejects with the server's or the socket's error, ioredis with
 * "Connection is closed." after emitting the real one, and both cluster clients with "no root
 * node available" after emitting each node's. So the thrown error and the emitted ones are read
 * together, most telling first:
 *
 * - a server that is not a Cluster node, asked as one: a usage error (remove --cluster);
 * - refused credentials: `AuthFailed`, "authentication failed";
 * - a database the server does not have: a usage error;
 * - a socket that never connected: `ServiceUnavailable`, "could not connect to host:port".
 *
 * Server replies are quoted (they hold no secret); the URL never is.
 */
export function connectError(
  thrown: unknown,
  emitted: readonly unknown[],
  settings: RedisSettings,
): LockError {
  if (thrown instanceof LockError) return thrown;
  const errors = [...emitted].reverse().concat(thrown).flatMap(withCauses);
  const said = (pattern: RegExp) => errors.find((error) => pattern.test(messageOf(error)));

  if (settings.cluster && said(/cluster support disabled/i)) {
    return new LockError(
      "InvalidArgument",
      `${hostOf(settings)} is not a Redis Cluster node (cluster support disabled): remove --cluster`,
      { cause: thrown },
    );
  }
  const auth = errors.find((error) => classifyRedisError(error) === "AuthFailed");
  if (auth !== undefined) {
    const reply = messageOf(auth);
    const none = /^NOAUTH\b/.test(reply) && !hasPassword(settings);
    const what = /\bNOPERM\b/.test(reply) ? "permission denied" : "authentication failed";
    return new LockError(
      "AuthFailed",
      none
        ? `${what}: the server requires a password and --url gives none (${reply})`
        : `${what}: ${reply}`,
      { cause: auth },
    );
  }
  const range = said(/DB index is out of range/i);
  if (range !== undefined) {
    return new LockError(
      "InvalidArgument",
      `database ${databaseOf(settings)} in --url is out of range for this server (its "databases" setting)`,
      { cause: range },
    );
  }
  const socket = errors.find((error) => typeof SOCKET_FAILURES[codeOf(error) ?? ""] === "string");
  if (socket !== undefined) {
    const code = codeOf(socket) as string;
    return new LockError(
      "ServiceUnavailable",
      `could not connect to ${addressOf(socket) ?? hostOf(settings)}: ${SOCKET_FAILURES[code]} (${code})`,
      { cause: socket },
    );
  }
  const first = errors[0] ?? thrown;
  return new LockError(
    classifyRedisError(first) ?? "ServiceUnavailable",
    `could not connect to ${hostOf(settings)}: ${messageOf(first)}`,
    { cause: thrown },
  );
}

/** Socket error codes of a connection that never came up, said for people. */
const SOCKET_FAILURES: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "timed out",
  ECONNRESET: "connection reset",
};

/** The host:port of the first URL (a cluster client's first root node), as parsed. */
export function hostOf(settings: RedisSettings): string {
  const url = new URL(settings.urls[0] as string);
  return `${url.hostname}:${url.port || "6379"}`;
}

function hasPassword(settings: RedisSettings): boolean {
  const url = new URL(settings.urls[0] as string);
  return url.password !== "" || url.searchParams.has("password");
}

function databaseOf(settings: RedisSettings): string {
  const url = new URL(settings.urls[0] as string);
  return url.pathname.length > 1 ? url.pathname.slice(1) : (url.searchParams.get("db") ?? "0");
}

/** The address a socket error names (Node puts it on the error), when it names one. */
function addressOf(error: unknown): string | undefined {
  const { address, port, hostname } = error as {
    address?: unknown;
    port?: unknown;
    hostname?: unknown;
  };
  if (typeof address === "string" && typeof port === "number") {
    return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
  }
  return typeof hostname === "string" ? hostname : undefined;
}

const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
};

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message || error.name : String(error);

/** An error and those it wraps (ioredis keeps the last node's in `lastNodeError`). */
function withCauses(error: unknown): unknown[] {
  const found: unknown[] = [];
  for (let current = error; current instanceof Error && !found.includes(current); ) {
    found.push(current);
    const holder = current as { cause?: unknown; lastNodeError?: unknown };
    current = holder.lastNodeError ?? holder.cause;
  }
  return found.length > 0 ? found : [error];
}
