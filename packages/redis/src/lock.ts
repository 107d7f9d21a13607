import type { LockDefaults, LockFunction } from "@syncguard/core";
import { createStoreLock } from "@syncguard/core/driver";
import { createRedisBackend } from "./backend";
import { REDIS_BACKEND_OPTION_NAMES, REDIS_FOREIGN_OPTION_NAMES } from "./config";
import type { RedisBackendOptions, RedisCapabilities, RedisClientLike } from "./types";

/** `createLock(client, options)`: the backend's options and lock defaults in one flat object. */
export type RedisLockOptions = RedisBackendOptions & LockDefaults;

/**
 * `const lock = createLock(client)` then `await lock(fn, { key })`: builds a Redis backend once
 * and binds it to core's lock() wrapper (retries, release, renewal, wake-on-release). Backend
 * options (`keyPrefix`, ...) and lock defaults (`ttlMs`, `onEvent`, ...) sit side by side; an
 * unknown name is refused. `lock.close()` closes the backend it built, never your client.
 */
export function createLock(
  client: RedisClientLike,
  options: RedisLockOptions = {},
): LockFunction<RedisCapabilities> {
  return createStoreLock(options, {
    backendOptionNames: REDIS_BACKEND_OPTION_NAMES,
    foreignNames: REDIS_FOREIGN_OPTION_NAMES,
    createBackend: (backendOptions: RedisBackendOptions) =>
      createRedisBackend(client, backendOptions),
  });
}
