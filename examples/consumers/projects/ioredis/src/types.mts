// Compile-time check of the ESM declarations (index.d.mts) with no `redis` package installed:
// ioredis clients are accepted as they are, and a non-client is not (the types are not `any`).
// No skipLibCheck in tsconfig.json, so a declaration file that needs `redis` fails here.
import {
  createLock,
  createRedisBackend,
  type RedisBackend,
  type RedisClientLike,
} from "@syncguard/redis";
import { Cluster, type Redis } from "ioredis";

export function single(redis: Redis): Promise<string> {
  const backend: RedisBackend = createRedisBackend(redis, { keyPrefix: "app" });
  void backend.close();
  const lock = createLock(redis);
  return lock(async ({ fence }) => fence, { key: "k" });
}

export function cluster(nodes: Cluster): RedisBackend {
  const client: RedisClientLike = nodes;
  createLock(client, { keyPrefix: "types", ttlMs: 5_000 });
  return createRedisBackend(new Cluster([{ host: "127.0.0.1", port: 7000 }]));
}

// @ts-expect-error not a Redis client
createRedisBackend({ get: async () => null });
