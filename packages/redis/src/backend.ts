import { defineBackend, type LockDriver, LockError } from "@syncguard/core";
import { resolveConfig } from "./config";
import type { OperationContext } from "./context";
import { toRedisLockError } from "./errors";
import { checkEvictionPolicy } from "./eviction-policy";
import { layoutForTag } from "./keys";
import { abandonWait } from "./operations/abandon-wait";
import { acquire } from "./operations/acquire";
import { extend } from "./operations/extend";
import { isLocked, readByKey, readByLockId } from "./operations/read";
import { release } from "./operations/release";
import { clusterTransport, createWatcher, standaloneTransport } from "./operations/subscribe";
import {
  isClusterClient,
  type RedisBackend,
  type RedisBackendOptions,
  type RedisCapabilities,
  type RedisClientLike,
} from "./types";

const CAPABILITIES: RedisCapabilities = Object.freeze({
  backend: "redis",
  supportsFencing: true,
  timeAuthority: "server",
});

/**
 * A SyncGuard backend on a connected node-redis client (`createClient` or `createCluster`).
 * Each operation is one script call or one GET; expiry is judged by the Redis server clock. The
 * backend opens no connection of its own except, on a single node, one pub/sub connection for
 * wake-ups (opened on first use, closed when idle or by `close()`).
 */
export function createRedisBackend(
  client: RedisClientLike,
  options?: RedisBackendOptions,
): RedisBackend {
  return defineBackend(createRedisDriver(client, options));
}

/**
 * The client view the operations send on. node-redis 6 arms an `AbortSignal.timeout` for every
 * command (its 5 s default), which only bounds the time a command waits to be written, about a
 * tenth of the client CPU of a call. The backend refuses to send while the client is not ready,
 * and core bounds every acquire, release and extend itself with one shared timer, so the
 * backend's own calls go without it.
 */
function withoutCommandTimers(client: RedisClientLike): RedisClientLike {
  // Not in RedisClientLike: its node-redis typing ties the view to the client's RESP version.
  const { withCommandOptions } = client as {
    withCommandOptions?: (options: { timeout: number }) => RedisClientLike;
  };
  return typeof withCommandOptions === "function"
    ? withCommandOptions.call(client, { timeout: 0 })
    : client;
}

/** The Redis driver: stores and reads locks; core's `defineBackend` does the rest. */
export function createRedisDriver(
  client: RedisClientLike,
  options?: RedisBackendOptions,
): LockDriver<RedisCapabilities> {
  const config = resolveConfig(options);
  if (
    typeof client !== "object" ||
    client === null ||
    typeof client.evalSha !== "function" ||
    typeof client.get !== "function"
  ) {
    throw new LockError("InvalidArgument", "createRedisBackend needs a node-redis client");
  }
  const cluster = isClusterClient(client);
  const ctx: OperationContext = {
    client: withoutCommandTimers(client),
    config,
    publishCommand: cluster ? "SPUBLISH" : "PUBLISH",
  };
  const watcher = createWatcher(
    config.keyPrefix,
    cluster ? clusterTransport(client) : standaloneTransport(client),
  );
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
    watch: (key, listener) => watcher.watch(key, listener),
    withdraw: (input) => abandonWait(ctx, input),
    // Idle channels sit on the backend's own unref'd pub/sub connection: cheap to keep.
    watchLingerMs: 2_000,
    toLockError: toRedisLockError,
    close: () => watcher.close(),
  };
}
