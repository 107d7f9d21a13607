import { LockError } from "@syncguard/core";
import { resolveConfig } from "./config";
import type { OperationContext } from "./context";
import { acquire } from "./operations/acquire";
import { extend } from "./operations/extend";
import { isLocked } from "./operations/is-locked";
import { lookup } from "./operations/lookup";
import { release } from "./operations/release";
import { clusterTransport, createSubscriptions, standaloneTransport } from "./operations/subscribe";
import {
  isClusterClient,
  type RedisBackend,
  type RedisBackendOptions,
  type RedisCapabilities,
  type RedisClientLike,
} from "./types";

/**
 * A SyncGuard backend on a connected node-redis client (`createClient` or `createCluster`).
 * Each operation is one script call; expiry is judged by the Redis server clock. The backend
 * opens no connection of its own except, on a single node, one pub/sub connection for
 * `subscribe` (opened on first use, closed when idle or by `close()`).
 */
export function createRedisBackend(
  client: RedisClientLike,
  options?: RedisBackendOptions,
): RedisBackend {
  const config = resolveConfig(options);
  if (typeof client !== "object" || client === null || typeof client.evalSha !== "function") {
    throw new LockError("InvalidArgument", "createRedisBackend needs a node-redis client");
  }
  const cluster = isClusterClient(client);
  const ctx: OperationContext = {
    client,
    config,
    publishCommand: cluster ? "SPUBLISH" : "PUBLISH",
  };
  const subscriptions = createSubscriptions(
    config.keyPrefix,
    cluster ? clusterTransport(client) : standaloneTransport(client),
  );
  const capabilities: RedisCapabilities = Object.freeze({
    backend: "redis",
    supportsFencing: true,
    timeAuthority: "server",
  });

  return {
    capabilities,
    acquire: (opts) => acquire(ctx, opts),
    release: (opts) => release(ctx, opts),
    extend: (opts) => extend(ctx, opts),
    isLocked: (opts) => isLocked(ctx, opts),
    lookup: (opts) => lookup(ctx, opts),
    subscribe: (key, listener) => subscriptions.subscribe(key, listener),
    // Idle channels sit on the backend's own unref'd pub/sub connection: cheap to keep.
    subscriptionLingerMs: 2_000,
    close: () => subscriptions.close(),
  };
}
