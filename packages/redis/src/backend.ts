import { LockError } from "@syncguard/core";
import { defineBackend, type LockDriver } from "@syncguard/core/driver";
import { adaptClient } from "./clients/detect";
import { resolveConfig } from "./config";
import type { DriverContext } from "./context";
import { toRedisLockError } from "./errors";
import { checkAtFirstUse } from "./first-use";
import { layoutForKey, layoutForLockId, layoutForTag } from "./keys";
import { acquire } from "./operations/acquire";
import { extend } from "./operations/extend";
import { isLocked } from "./operations/is-locked";
import { list } from "./operations/list";
import { redisPermits } from "./operations/permits";
import { readByKey } from "./operations/read-by-key";
import { readByLockId } from "./operations/read-by-lock-id";
import { readFence } from "./operations/read-fence";
import { release } from "./operations/release";
import { watch } from "./operations/watch";
import { withdraw } from "./operations/withdraw";
import type {
  RedisBackend,
  RedisBackendOptions,
  RedisCapabilities,
  RedisClientLike,
} from "./types";
import { createWatcher, NO_WATCHER } from "./watcher";

const WITH_WAKE_UPS: RedisCapabilities = Object.freeze({
  backend: "redis",
  supportsFencing: true,
  timeAuthority: "server",
  wakeUps: "pubsub",
});
/** A GLIDE client without a subscriberConfig (ADR-042): waiters poll. */
const POLLING: RedisCapabilities = Object.freeze({ ...WITH_WAKE_UPS, wakeUps: "polling" });

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
  const adapter = adaptClient(client, {
    operationTimeoutMs: config.operationTimeoutMs,
    ...(config.subscriberConfig ? { subscriberConfig: config.subscriberConfig } : {}),
  });
  if (config.durability && adapter.sender.evalShaThen === undefined) {
    throw new LockError(
      "InvalidArgument",
      `durability is not available with a ${adapter.library} client: it cannot pipeline WAIT / WAITAOF on the connection of the script (ADR-042); use node-redis or ioredis for durable acquisitions`,
    );
  }
  const { transport } = adapter;
  const ctx: DriverContext = {
    client: adapter.sender,
    connection: adapter.connection,
    library: adapter.library,
    cluster: adapter.cluster,
    config,
    publishCommand: adapter.cluster ? "SPUBLISH" : "PUBLISH",
    watcher: transport ? createWatcher(config.keyPrefix, transport) : NO_WATCHER,
    scanNodes: () => adapter.scanNodes(),
  };
  // Once per backend, before its first operation: the server version, and the eviction policy of
  // the node the first key lives on. Retried by the next operation if it could not reach the server.
  let checked = false;
  let check: Promise<void> | undefined;
  const firstUse = (operation: string, routingKey: string): Promise<void> => {
    check ??= checkAtFirstUse(ctx, operation, routingKey).then(
      () => {
        checked = true;
      },
      (error: unknown) => {
        check = undefined;
        throw error;
      },
    );
    return check;
  };
  const prefix = config.keyPrefix;
  // Any record name routes a call that has no key of its own (a listing) to some node.
  const anyRecord = layoutForTag(prefix, "AAAAAAAAAAAA").record;
  const checkedFor = async <T>(
    operation: string,
    routingKey: () => string,
    run: () => Promise<T>,
  ): Promise<T> => {
    if (!checked) await firstUse(operation, routingKey());
    return run();
  };
  const byLockId = (lockId: string) => () => layoutForLockId(prefix, lockId).record;
  const byKey = (key: string) => () => layoutForKey(prefix, key).record;

  // Without a transport (GLIDE without a subscriberConfig) there is no watch: core polls.
  const wakeUps: Pick<LockDriver<RedisCapabilities>, "watch" | "watchLingerMs"> = transport
    ? {
        watch: (key, listener) => watch(ctx, key, listener),
        // Idle channels sit on the backend's own pub/sub connection: cheap to keep.
        watchLingerMs: 2_000,
      }
    : {};
  const { watch: watchPermit, ...permitsWithoutWatch } = redisPermits(ctx, ctx.watcher, checkedFor);
  return {
    capabilities: transport ? WITH_WAKE_UPS : POLLING,
    acquire: (input) =>
      checked
        ? acquire(ctx, input)
        : checkedFor(
            "acquire",
            () => layoutForTag(prefix, input.tag).record,
            () => acquire(ctx, input),
          ),
    release: (input) =>
      checked
        ? release(ctx, input)
        : checkedFor("release", byLockId(input.lockId), () => release(ctx, input)),
    extend: (input) => checkedFor("extend", byLockId(input.lockId), () => extend(ctx, input)),
    readByKey: (input) => checkedFor("lookup", byKey(input.key), () => readByKey(ctx, input)),
    readByLockId: (input) =>
      checkedFor("lookup", byLockId(input.lockId), () => readByLockId(ctx, input)),
    isLocked: (input) => checkedFor("isLocked", byKey(input.key), () => isLocked(ctx, input)),
    list: (input) =>
      checkedFor(
        "list",
        () => anyRecord,
        () => list(ctx, input),
      ),
    readFence: (input) => checkedFor("readFence", byKey(input.key), () => readFence(ctx, input)),
    ...wakeUps,
    withdraw: (input) => checkedFor("withdraw", byKey(input.key), () => withdraw(ctx, input)),
    // Without wake-ups the permits have no watch either: core polls for them too.
    permits: transport ? { ...permitsWithoutWatch, watch: watchPermit } : permitsWithoutWatch,
    toLockError: toRedisLockError,
    ...(config.logger ? { logger: config.logger } : {}),
    close: () => ctx.watcher.close(),
  };
}
