import { LockError } from "@syncguard/core";

/** The oldest Redis this backend runs on (Valkey 7.2 and later report a Redis version of 7.2). */
export const MIN_REDIS_MAJOR = 7;

const VERSION = /^(\d+)\.(\d+)(?:\.(\d+))?/;
const INFO_VERSION = /^redis_version:(\S+)/m;

/**
 * The server version from the first-use script's first reply element: the version itself
 * (Redis 7.0+ tells scripts), an INFO server text (older servers), or nothing (an older server
 * that refused INFO). Undefined when the reply does not say.
 */
export function serverVersionOf(reported: unknown): string | undefined {
  const text = Buffer.isBuffer(reported) ? reported.toString("utf8") : reported;
  if (typeof text !== "string") return undefined;
  if (VERSION.test(text)) return text.trim();
  return INFO_VERSION.exec(text)?.[1];
}

/**
 * Why the server is refused, or undefined when it is supported. A reply without a version comes
 * from a server older than 7.0 (7.0 and later always tell), so it is refused too.
 */
export function unsupportedServer(reported: unknown): LockError | undefined {
  const version = serverVersionOf(reported);
  const major = version === undefined ? undefined : Number(VERSION.exec(version)?.[1]);
  if (major !== undefined && Number.isInteger(major) && major >= MIN_REDIS_MAJOR) return undefined;
  const which =
    version === undefined ? "older than 7.0 (it did not say which: INFO refused)" : version;
  return new LockError(
    "InvalidArgument",
    `Redis ${which} is not supported: @syncguard/redis needs Redis 7.0 or later (Valkey 7.2 or ` +
      "later). Its scripts use SET … NX GET and PEXPIRE … GT, and clusters need sharded pub/sub",
  );
}
