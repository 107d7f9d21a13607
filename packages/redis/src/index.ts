export { createRedisBackend } from "./backend";
export { DEFAULT_KEY_PREFIX, MAX_KEY_PREFIX_BYTES } from "./config";
export { classifyRedisError } from "./errors";
export { createLock, type RedisLockOptions } from "./lock";
export type {
  ClusterClient,
  RedisBackend,
  RedisBackendOptions,
  RedisCapabilities,
  RedisClientLike,
  StandaloneClient,
} from "./types";
