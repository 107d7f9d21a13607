export { createRedisBackend } from "./backend";
export { DEFAULT_KEY_PREFIX, MAX_KEY_PREFIX_BYTES } from "./config";
export { isDurabilityShortfall } from "./durability/acknowledge";
export { classifyRedisError } from "./errors";
export { type FencedSetOptions, fencedSet, fenceRecordKey } from "./fence-guard/fenced-set";
export { createLock, type RedisLockOptions } from "./lock";
export type {
  ChannelListener,
  ClusterClient,
  EvictionPolicyCheck,
  GlideClientLike,
  IoredisClient,
  NodeRedisClient,
  RedisBackend,
  RedisBackendOptions,
  RedisCapabilities,
  RedisClientLike,
  RedisDurability,
  ScriptCall,
  ScriptClient,
  StandaloneClient,
  SubscriberConnection,
} from "./types";
