import type { LockDefaults, LockFunction } from "@syncguard/core";
import { createStoreLock } from "@syncguard/core/driver";
import { createPostgresBackend } from "./backend";
import type { PostgresCapabilities } from "./capabilities";
import type { PgClientLike } from "./client";
import {
  POSTGRES_BACKEND_OPTION_NAMES,
  POSTGRES_FOREIGN_OPTION_NAMES,
  type PostgresBackendOptions,
} from "./config";

/** `createLock(pool, options)`: the backend's options and lock defaults in one flat object. */
export type PostgresLockOptions = PostgresBackendOptions & LockDefaults;

/**
 * `const lock = createLock(pool)` then `await lock(fn, { key })`: builds a PostgreSQL backend once
 * and binds it to core's lock() wrapper (retries, release, renewal, wake-on-release). Backend
 * options (`schema`, ...) and lock defaults (`ttlMs`, `onEvent`, ...) sit side by side; an
 * unknown name is refused. `lock.close()` closes the backend it built, never your pool.
 */
export function createLock(
  client: PgClientLike,
  options: PostgresLockOptions = {},
): LockFunction<PostgresCapabilities> {
  return createStoreLock(options, {
    backendOptionNames: POSTGRES_BACKEND_OPTION_NAMES,
    foreignNames: POSTGRES_FOREIGN_OPTION_NAMES,
    createBackend: (backendOptions: PostgresBackendOptions) =>
      createPostgresBackend(client, backendOptions),
  });
}
