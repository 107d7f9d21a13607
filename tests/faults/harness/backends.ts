/**
 * Backends under test, built from the BUILT packages as a user would: memory, Redis single node,
 * Redis Cluster and Firestore. `BackendConfig` is plain JSON so workers (workers/connect.js)
 * connect the same way. Shared services come from the environment (REDIS_URL,
 * REDIS_CLUSTER_NODES, FIRESTORE_EMULATOR_HOST); each test gets its own key prefix / collections.
 */

import { randomBytes } from "node:crypto";
import { Firestore } from "@google-cloud/firestore";
import { createLock, type LockBackend, type LockFunction } from "@syncguard/core";
import { createMemoryBackend, type MemoryBackendOptions } from "@syncguard/core/memory";
import { createFirestoreBackend } from "@syncguard/firestore";
import { createRedisBackend, type RedisClientLike } from "@syncguard/redis";
import { createClient, createCluster } from "redis";
import { fileWatch } from "./leak-sweep";

export type BackendKind = "memory" | "redis-single" | "redis-cluster" | "firestore";
export type ServiceKind = Exclude<BackendKind, "memory">;
export const SERVICE_KINDS: readonly ServiceKind[] = ["redis-single", "redis-cluster", "firestore"];

export interface BackendConfig {
  kind: BackendKind;
  /** redis-single */
  redisUrl?: string;
  /** redis-cluster: host:port of every master */
  clusterNodes?: string[];
  /** firestore: emulator host:port */
  firestoreHost?: string;
  projectId?: string;
  keyPrefix?: string;
  collection?: string;
  fenceCollection?: string;
  operationTimeoutMs?: number;
}

const HINT = "run through `pnpm test:faults` (or `npm test`), which starts the services";

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: ${HINT}`);
  return value;
}

/** A name nobody else uses: label, pid and random bits. Safe as a prefix and a collection id. */
export function uniqueName(label: string): string {
  return `${label}_${process.pid}_${randomBytes(3).toString("hex")}`;
}

/** The shared service of `kind`, under names of this test's own. */
export function sharedConfig(kind: BackendKind, label: string): BackendConfig {
  const name = uniqueName(`sgf_${label}`);
  switch (kind) {
    case "memory":
      return { kind };
    case "redis-single":
      return { kind, redisUrl: env("REDIS_URL"), keyPrefix: name };
    case "redis-cluster":
      return { kind, clusterNodes: env("REDIS_CLUSTER_NODES").split(","), keyPrefix: name };
    case "firestore":
      return {
        kind,
        firestoreHost: env("FIRESTORE_EMULATOR_HOST"),
        projectId: firestoreProject(),
        collection: `${name}_locks`,
        fenceCollection: `${name}_fences`,
      };
  }
}

/** One emulator project for the suite; tests separate by collection. */
export function firestoreProject(): string {
  return `${process.env.GCLOUD_PROJECT ?? "demo-syncguard"}-faults`;
}

/**
 * A Firestore client for the emulator at `host`. The SDK lets FIRESTORE_EMULATOR_HOST override
 * any host setting, and reads it only in the constructor: so set it for the constructor.
 */
export function firestoreAt(host: string, projectId: string): Firestore {
  const saved = process.env.FIRESTORE_EMULATOR_HOST;
  process.env.FIRESTORE_EMULATOR_HOST = host;
  try {
    return new Firestore({ projectId });
  } finally {
    if (saved === undefined) delete process.env.FIRESTORE_EMULATOR_HOST;
    else process.env.FIRESTORE_EMULATOR_HOST = saved;
  }
}

// A default client, as a user creates it: the suite's assertions are about that configuration.
const newRedisClient = (url: string | undefined) => createClient({ url });
const newRedisCluster = (nodes: string[]) =>
  createCluster({ rootNodes: nodes.map((node) => ({ url: `redis://${node}` })) });
export type RedisSingle = ReturnType<typeof newRedisClient>;
export type RedisCluster = ReturnType<typeof newRedisCluster>;

export interface Connected {
  config: BackendConfig;
  backend: LockBackend;
  lock: LockFunction;
  /** The node-redis client (single or cluster) as created, before any wrapping. */
  redis?: RedisSingle | RedisCluster;
  firestore?: Firestore;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Wraps the node-redis client handed to the backend (e.g. to count commands). */
  wrapRedis?: (client: RedisClientLike) => RedisClientLike;
  /** Wraps the Firestore client handed to the backend. */
  wrapFirestore?: (db: Firestore) => Firestore;
  memory?: MemoryBackendOptions;
}

/** node-redis reports connection trouble as 'error' events; unheard, they would crash jest. */
const ignore = () => {};

export async function connect(config: BackendConfig, options: ConnectOptions = {}) {
  const wrapRedis = options.wrapRedis ?? ((c) => c);
  // Every backend and lock of a scenario is watched for leaked lockIds (see leak-sweep.ts).
  const watch = fileWatch();
  const bind = (backend: LockBackend, extra: Omit<Connected, "config" | "backend" | "lock">) => {
    watch.watchBackend(backend);
    return {
      config,
      backend,
      lock: watch.watchLock(createLock(backend, watch.observers)),
      ...extra,
    };
  };
  switch (config.kind) {
    case "memory":
      return bind(createMemoryBackend(options.memory), { close: async () => {} });
    case "redis-single": {
      const client = newRedisClient(config.redisUrl);
      client.on("error", ignore);
      await client.connect();
      const backend = createRedisBackend(wrapRedis(client), { keyPrefix: config.keyPrefix });
      return bind(backend, {
        redis: client,
        close: async () => {
          await backend.close().catch(ignore);
          client.destroy();
        },
      });
    }
    case "redis-cluster": {
      const cluster = newRedisCluster(config.clusterNodes ?? []);
      cluster.on("error", ignore);
      await cluster.connect();
      const backend = createRedisBackend(wrapRedis(cluster), { keyPrefix: config.keyPrefix });
      return bind(backend, {
        redis: cluster,
        close: async () => {
          await backend.close().catch(ignore);
          cluster.destroy();
        },
      });
    }
    case "firestore": {
      const db = firestoreAt(config.firestoreHost ?? "", config.projectId ?? firestoreProject());
      const wrapped = options.wrapFirestore ? options.wrapFirestore(db) : db;
      const backend = createFirestoreBackend(wrapped, {
        ...(config.collection ? { collection: config.collection } : {}),
        ...(config.fenceCollection ? { fenceCollection: config.fenceCollection } : {}),
        ...(config.operationTimeoutMs ? { operationTimeoutMs: config.operationTimeoutMs } : {}),
      });
      return bind(backend, { firestore: db, close: () => db.terminate() });
    }
  }
}

/** Redis keys whose name contains a `:fence` segment are fence counters (never deleted). */
export const FENCE_KEY = /:fence(:|$)/;

/** One plain client per Redis node of the config (a single node, or every cluster master). */
async function withNodeClients<T>(
  config: BackendConfig,
  fn: (nodes: RedisSingle[]) => Promise<T>,
): Promise<T> {
  const urls =
    config.kind === "redis-cluster"
      ? (config.clusterNodes ?? []).map((node) => `redis://${node}`)
      : [config.redisUrl ?? ""];
  const nodes = urls.map((url) => {
    const client = newRedisClient(url);
    client.on("error", ignore);
    return client;
  });
  try {
    await Promise.all(nodes.map((node) => node.connect()));
    return await fn(nodes);
  } finally {
    for (const node of nodes) node.destroy();
  }
}

/** Every key under the config's prefix, on every node (SCAN, never KEYS). */
export function redisKeysUnder(config: BackendConfig): Promise<string[]> {
  return withNodeClients(config, async (nodes) => {
    const keys: string[] = [];
    for (const node of nodes) {
      for await (const batch of node.scanIterator({
        MATCH: `${config.keyPrefix}:*`,
        COUNT: 1000,
      })) {
        keys.push(...batch);
      }
    }
    return keys.sort();
  });
}

/** Deletes every key under the prefix except fence counters: lock records vanish, fences stay. */
export function deleteLockRecords(config: BackendConfig): Promise<string[]> {
  return withNodeClients(config, async (nodes) => {
    const deleted: string[] = [];
    for (const node of nodes) {
      for await (const batch of node.scanIterator({
        MATCH: `${config.keyPrefix}:*`,
        COUNT: 1000,
      })) {
        for (const key of batch) {
          if (FENCE_KEY.test(key)) continue;
          await node.del(key);
          deleted.push(key);
        }
      }
    }
    return deleted;
  });
}

/** Ids of the existing documents of a collection. */
export async function documentIds(db: Firestore, collection: string): Promise<string[]> {
  const refs = await db.collection(collection).listDocuments();
  const snapshots = refs.length > 0 ? await db.getAll(...refs) : [];
  return snapshots.filter((s) => s.exists).map((s) => s.id);
}
