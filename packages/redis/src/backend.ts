import { defineBackend, type LockDriver } from "@syncguard/core/driver";
import { adaptClient } from "./clients/detect";
import { resolveConfig } from "./config";
import type { OperationContext } from "./context";
import { toRedisLockError } from "./errors";
import { checkEvictionPolicy } from "./eviction-policy";
import { layoutForTag } from "./keys";
import { abandonWait } from "./operations/abandon-wait";
import { acquire } from "./operations/acquire";
import { extend } from "./operations/extend";
import { listLocks } from "./operations/list";
import { isLocked, readByKey, readByLockId } from "./operations/read";
import { readFence } from "./operations/read-fence";
import { release } from "./operations/release";
import { createWatcher } from "./operations/subscribe";
import type {
  RedisBackend,
  RedisBackendOptions,
  RedisCapabilities,
  RedisClientLike,
} from "./types";

const CAPABILITIES: RedisCapabilities = Object.freeze({
  backend: "redis",
  supportsFencing: true,
  timeAuthority: "server",
});

/**
 * A SyncGuard backend on a connected node-redis client (`createClient` or `createCluster`) or
 * ioredis client (`new Redis`, Sentinel included, or `new Cluster`). Each operation is one script
 * call or one GET; expiry is judged by the Redis server clock. The backend opens no connection of
 * its own except one for wake-up subscriptions (none on node-redis's cluster client, which has
 * sharded pub/sub built in), opened on first use and closed when idle or by `close()`.
 */
export function createRedisBackend(
  client: RedisClientLike,
  options?: RedisBackendOptions,
): RedisBackend {
  return defineBackend(createRedisDriver(client, options));
}

/** The Redis driver: stores and reads locks; core's `defineBackend` does the rest. */
export function createRedisDriver(
  client: RedisClientLike,
  options?: RedisBackendOptions,
): LockDriver<RedisCapabilities> {
  const config = resolveConfig(options);
  const adapter = adaptClient(client);
  const ctx: OperationContext = {
    client: adapter.sender,
    config,
    publishCommand: adapter.cluster ? "SPUBLISH" : "PUBLISH",
  };
  const watcher = createWatcher(config.keyPrefix, adapter.transport);
  // Once per backend, before the first acquire; retried if it could not reach the server.
  let policyChecked = config.evictionPolicyCheck === "off";
  let policyCheck: Promise<void> | undefined;
  const ensurePolicyChecked = (tag: string): Promise<void> => {
    policyCheck ??= checkEvictionPolicy(ctx, layoutForTag(config.keyPrefix, tag).record).then(
      () => {
        policyChecked = true;
      },
      (error: unknown) => {
        policyCheck = undefined;
        throw error;
      },
    );
    return policyCheck;
  };

  return {
    capabilities: CAPABILITIES,
    async acquire(input) {
      if (!policyChecked) await ensurePolicyChecked(input.tag);
      // A key someone here waited for lately (its watch lingers) is likely held again.
      return acquire(ctx, input, !watcher.isWatching(input.tag));
    },
    release: (input) => release(ctx, input),
    extend: (input) => extend(ctx, input),
    readByKey: (input) => readByKey(ctx, input),
    readByLockId: (input) => readByLockId(ctx, input),
    isLocked: (input) => isLocked(ctx, input),
    list: (input) => listLocks(ctx, () => adapter.scanNodes(), input),
    readFence: (input) => readFence(ctx, input),
    watch: (key, listener) => watcher.watch(key, listener),
    withdraw: (input) => abandonWait(ctx, input),
    // Idle channels sit on the backend's own unref'd pub/sub connection: cheap to keep.
    watchLingerMs: 2_000,
    toLockError: toRedisLockError,
    ...(config.logger ? { logger: config.logger } : {}),
    close: () => watcher.close(),
  };
}
