import { createLock as bindLock, type LockDefaults, type LockFunction } from "@syncguard/core";
import { createRedisBackend } from "./backend";
import type { RedisBackendOptions, RedisCapabilities, RedisClientLike } from "./types";

export interface RedisLockOptions extends RedisBackendOptions {
  /** Defaults for every `lock()` call made through the returned function. */
  defaults?: LockDefaults;
}

/**
 * `const lock = createLock(client)` then `await lock(fn, { key })`: builds a Redis backend once
 * and binds it to core's lock() wrapper (retries, release, auto-extend, wake-on-release).
 */
export function createLock(
  client: RedisClientLike,
  options: RedisLockOptions = {},
): LockFunction<RedisCapabilities> {
  const { defaults, ...backendOptions } = options;
  return bindLock(createRedisBackend(client, backendOptions), defaults);
}
