/**
 * The client matrix: the other test files use node-redis 6 (RESP3 by default); this one runs the
 * whole conformance suite, multi-process race included, on every other supported client major —
 * node-redis 5 (RESP2 by default), ioredis 6 and ioredis 5 (the `redis5` / `ioredis5`
 * devDependency aliases, each at the lowest version the peer range allows) and iovalkey (the
 * ioredis fork Valkey users pick; its race runs lighter, as its code paths are ioredis's) — on a
 * single node and on Redis Cluster. It also type-checks that each library's clients fit the backend's types.
 */
import { join } from "node:path";
import { runConformance } from "@syncguard/conformance";
import type { Redis as Ioredis6, Cluster as Ioredis6Cluster } from "ioredis";
import type { Redis as Ioredis5, Cluster as Ioredis5Cluster } from "ioredis5";
import type { Redis as Iovalkey, Cluster as IovalkeyCluster } from "iovalkey";
import type { createClient, createCluster } from "redis5";
import { createLock, createRedisBackend, type RedisBackend, type RedisClientLike } from "../src";
import { CLIENT_LABELS, type ClientLibrary, connectWith, LIBRARIES } from "./helpers/clients";
import { clusterNodes, MODES, type Mode, redisUrl } from "./helpers/services";

// Compile-time: every client kind of every library fits the backend's types and createLock.
export const typeChecks = {
  nodeRedis5: (client: ReturnType<typeof createClient>): RedisClientLike => client,
  nodeRedis5Cluster: (cluster: ReturnType<typeof createCluster>): RedisClientLike => cluster,
  ioredis6: (client: Ioredis6): RedisClientLike => client,
  ioredis6Cluster: (cluster: Ioredis6Cluster): RedisClientLike => cluster,
  ioredis5: (client: Ioredis5): RedisClientLike => client,
  ioredis5Cluster: (cluster: Ioredis5Cluster): RedisClientLike => cluster,
  iovalkey: (client: Iovalkey): RedisClientLike => client,
  iovalkeyCluster: (cluster: IovalkeyCluster): RedisClientLike => cluster,
  lock: (client: Ioredis6 | Ioredis6Cluster | ReturnType<typeof createClient>) =>
    createLock(client),
};

/** Libraries whose multi-process race runs shorter: the same code paths as a library raced in full. */
const LIGHT_RACE: ReadonlySet<ClientLibrary> = new Set(["iovalkey"]);

function clientConformance(library: ClientLibrary, mode: Mode): void {
  let connection: { client: RedisClientLike; close(): Promise<void> } | undefined;
  let backend: RedisBackend | undefined;
  const keyPrefix = `sgconf-${library}-${mode}`;
  const env: Record<string, string> = {
    SYNCGUARD_REDIS_CLIENT: library,
    SYNCGUARD_REDIS_MODE: mode,
    SYNCGUARD_REDIS_PREFIX: keyPrefix,
  };
  if (mode === "single") env.REDIS_URL = redisUrl();
  else env.REDIS_CLUSTER_NODES = clusterNodes().join(",");
  runConformance({
    name: `redis (${mode}, ${CLIENT_LABELS[library]})`,
    capabilities: {
      subscribe: true,
      list: true,
      readFence: true,
      semaphore: true,
      semaphoreOperators: true,
    },
    createBackend: async () => {
      connection = await connectWith(library, mode);
      backend = createRedisBackend(connection.client, { keyPrefix });
      return backend;
    },
    teardown: async () => {
      await backend?.close();
      await connection?.close();
    },
    worker: { modulePath: join(__dirname, "fixtures", "conformance-worker.js"), env },
    ...(LIGHT_RACE.has(library) ? { race: { processes: 2, iterations: 10 } } : {}),
  });
}

// node-redis 6 runs the suite in conformance.single/cluster.test.ts.
for (const library of LIBRARIES.filter((name) => name !== "redis")) {
  for (const mode of MODES) clientConformance(library, mode);
}
