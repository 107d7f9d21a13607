import { createLock as bindLock, type LockDefaults, type LockFunction } from "@syncguard/core";
import { createPostgresBackend } from "./backend";
import type { PostgresCapabilities } from "./capabilities";
import type { PgClientLike } from "./client";
import type { PostgresBackendOptions } from "./config";

export interface PostgresLockOptions extends PostgresBackendOptions {
  /** Defaults for every `lock()` call made through the returned function. */
  defaults?: LockDefaults;
}

/**
 * `const lock = createLock(pool)` then `await lock(fn, { key })`: builds a PostgreSQL backend once
 * and binds it to core's lock() wrapper (retries, release, auto-extend, wake-on-release).
 */
export function createLock(
  client: PgClientLike,
  options: PostgresLockOptions = {},
): LockFunction<PostgresCapabilities> {
  const { defaults, ...backendOptions } = options;
  return bindLock(createPostgresBackend(client, backendOptions), defaults);
}
