import { LockError, parseAcquireOptions } from "@syncguard/core";
import { resolveConfig } from "./config";
import type { OperationContext } from "./context";
import { checkEvictionPolicy } from "./eviction-policy";
import { layoutForTag } from "./keys";
import { abandonWait } from "./operations/abandon-wait";
import { acquire } from "./operations/acquire";
import { extend } from "./operations/extend";
import { isLocked, lookup } from "./operations/lookup";
import { release } from "./operations/release";
import { clusterTransport, createSubscriptions, standaloneTransport } from "./operations/subscribe";
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
 * `subscribe` (opened on first use, closed when idle or by `close()`).
 */
export function createRedisBackend(
  client: RedisClientLike,
  options?: RedisBackendOptions,
): RedisBackend {
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
    client,
    config,
    publishCommand: cluster ? "SPUBLISH" : "PUBLISH",
  };
  const subscriptions = createSubscriptions(
    config.keyPrefix,
    cluster ? clusterTransport(client) : standaloneTransport(client),
  );
  // Once per backend, before the first acquire; retried if it could not reach the server.
  let policyChecked = config.evictionPolicyCheck === "off";
  let policyCheck: Promise<void> | undefined;
  const ensurePolicyChecked = async (tag: string): Promise<void> => {
    policyCheck ??= checkEvictionPolicy(ctx, layoutForTag(config.keyPrefix, tag).record).then(
      () => {
        policyChecked = true;
      },
      (error: unknown) => {
        policyCheck = undefined;
        throw error;
      },
    );
    await policyCheck;
  };

  return {
    capabilities: CAPABILITIES,
    async acquire(opts) {
      const parsed = parseAcquireOptions(opts); // before any I/O, the policy check's included
      if (!policyChecked) await ensurePolicyChecked(parsed.tag);
      return acquire(ctx, parsed);
    },
    release: (opts) => release(ctx, opts),
    extend: (opts) => extend(ctx, opts),
    isLocked: (opts) => isLocked(ctx, opts),
    lookup: (opts) => lookup(ctx, opts),
    subscribe: (key, listener) => subscriptions.subscribe(key, listener),
    abandonWait: (opts) => abandonWait(ctx, opts),
    // Idle channels sit on the backend's own unref'd pub/sub connection: cheap to keep.
    subscriptionLingerMs: 2_000,
    close: () => subscriptions.close(),
  };
}
