/**
 * Peer-version matrix: the declared peer range is `redis ^5.0.0 || ^6.0.0`. The other test files
 * use node-redis 6 (RESP3 by default); this one runs the whole conformance suite, race included,
 * with node-redis 5 (the `redis5` devDependency alias, RESP2 by default) on a single node and on
 * Redis Cluster. It also type-checks that v5 clients are accepted by the backend's client types.
 */
import { join } from "node:path";
import { runConformance } from "@syncguard/conformance";
import { createClient, createCluster } from "redis5";
import { createLock, createRedisBackend, type RedisBackend, type RedisClientLike } from "../src";
import { clusterNodes, type Mode, redisUrl } from "./helpers/services";

// Compile-time: both v5 client kinds fit the backend's structural client types and createLock.
type V5Client = ReturnType<typeof createClient>;
type V5Cluster = ReturnType<typeof createCluster>;
export const typeChecks = {
  client: (client: V5Client): RedisClientLike => client,
  cluster: (cluster: V5Cluster): RedisClientLike => cluster,
  lock: (client: V5Client | V5Cluster) => createLock(client),
};

function redis5Conformance(mode: Mode): void {
  let client: V5Client | V5Cluster | undefined;
  let backend: RedisBackend | undefined;
  const keyPrefix = `sgconf5-${mode}`;
  const env: Record<string, string> = {
    SYNCGUARD_REDIS_MODE: mode,
    SYNCGUARD_REDIS_PREFIX: keyPrefix,
  };
  if (mode === "single") env.REDIS_URL = redisUrl();
  else env.REDIS_CLUSTER_NODES = clusterNodes().join(",");
  runConformance({
    name: `redis (${mode}, node-redis 5)`,
    capabilities: { subscribe: true },
    createBackend: async () => {
      const c =
        mode === "single"
          ? createClient({ url: redisUrl() })
          : createCluster({
              rootNodes: clusterNodes().map((node) => ({ url: `redis://${node}` })),
            });
      c.on("error", () => {});
      await c.connect();
      client = c;
      backend = createRedisBackend(c, { keyPrefix });
      return backend;
    },
    teardown: async () => {
      await backend?.close();
      await client?.close();
    },
    worker: { modulePath: join(__dirname, "fixtures", "conformance-worker-redis5.js"), env },
  });
}

redis5Conformance("single");
redis5Conformance("cluster");
