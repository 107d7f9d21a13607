/**
 * The client matrix: the other test files use node-redis 6 (RESP3 by default); this one runs the
 * whole conformance suite, multi-process race included, on every other supported client major —
 * node-redis 5 (RESP2 by default), ioredis 6 and ioredis 5 (the `redis5` / `ioredis5`
 * devDependency aliases, each at the lowest version the peer range allows) and iovalkey (the
 * ioredis fork Valkey users pick; its race runs lighter, as its code paths are ioredis's) — on a
 * single node and on Redis Cluster. Valkey GLIDE 2 runs it too, with its wake-ups on the backend's
 * own subscriber client (subscriberConfig, ADR-042), against redis-server 7 (Debian 12 ships no
 * valkey-server). It also type-checks that each library's clients fit the backend's types.
 */
import { join } from "node:path";
import { runConformance, type SuiteName } from "@syncguard/conformance";
import type { GlideClient, GlideClusterClient } from "@valkey/valkey-glide";
import type { Redis as Ioredis6, Cluster as Ioredis6Cluster } from "ioredis";
import type { Redis as Ioredis5, Cluster as Ioredis5Cluster } from "ioredis5";
import type { Redis as Iovalkey, Cluster as IovalkeyCluster } from "iovalkey";
import type { createClient, createCluster } from "redis5";
import { createLock, createRedisBackend, type RedisBackend, type RedisClientLike } from "../src";
import {
  CLIENT_LABELS,
  type ClientLibrary,
  connectWith,
  GLIDE,
  GLIDE_LABEL,
  LIBRARIES,
} from "./helpers/clients";
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
  glide: (client: GlideClient): RedisClientLike => client,
  glideCluster: (cluster: GlideClusterClient): RedisClientLike => cluster,
  lock: (client: Ioredis6 | Ioredis6Cluster | ReturnType<typeof createClient>) =>
    createLock(client),
};

/** Libraries whose multi-process race runs shorter: the same code paths as a library raced in full. */
const LIGHT_RACE: ReadonlySet<ClientLibrary> = new Set(["iovalkey"]);

/**
 * The older majors and iovalkey run the suites that send commands through the client; the
 * suites about core's own timing and checks (expiry, lease, background, events, validation,
 * abort, election) send nothing new and run on ioredis 6, GLIDE and node-redis 6 in full.
 */
const CLIENT_PATH_SUITES: readonly SuiteName[] = [
  ...["acquire", "release", "extend", "isLocked", "lookup", "fencing", "keys"],
  ...["lock", "wait", "inventory", "race", "semaphore", "secrets"],
] as SuiteName[];
const CLIENT_PATHS_ONLY: ReadonlySet<ClientLibrary> = new Set(["redis5", "ioredis5", "iovalkey"]);

function clientConformance(library: ClientLibrary | typeof GLIDE, mode: Mode): void {
  let connection: Awaited<ReturnType<typeof connectWith>> | undefined;
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
    name: `redis (${mode}, ${library === GLIDE ? GLIDE_LABEL : CLIENT_LABELS[library]})`,
    capabilities: {
      subscribe: true,
      list: true,
      readFence: true,
      waitQueue: true,
      semaphore: true,
      semaphoreOperators: true,
    },
    createBackend: async () => {
      connection = await connectWith(library, mode);
      backend = createRedisBackend(connection.client, { ...connection.backendOptions, keyPrefix });
      return backend;
    },
    // Another process's backend on the same deployment: its own local waiters and subscriber.
    createPeerBackend: () => {
      if (!connection) throw new Error("createPeerBackend before createBackend");
      return createRedisBackend(connection.client, { ...connection.backendOptions, keyPrefix });
    },
    teardown: async () => {
      await backend?.close();
      await connection?.close();
    },
    worker: { modulePath: join(__dirname, "fixtures", "conformance-worker.js"), env },
    ...(library !== GLIDE && LIGHT_RACE.has(library)
      ? { race: { processes: 2, iterations: 10 } }
      : {}),
    ...(library !== GLIDE && CLIENT_PATHS_ONLY.has(library) ? { suites: CLIENT_PATH_SUITES } : {}),
  });
}

// node-redis 6 runs the suite in conformance.single/cluster.test.ts.
for (const library of LIBRARIES.filter((name) => name !== "redis")) {
  for (const mode of MODES) clientConformance(library, mode);
}
for (const mode of MODES) clientConformance(GLIDE, mode);
