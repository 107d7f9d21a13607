// Compile-time check of the CommonJS declarations (index.d.ts), as types.mts does for ESM.
import { createLock, createRedisBackend, type RedisBackend } from "@syncguard/redis";
import type { Cluster, Redis } from "ioredis";

export function single(redis: Redis): Promise<string> {
  const backend: RedisBackend = createRedisBackend(redis);
  void backend.close();
  return createLock(redis)(async ({ fence }) => fence, { key: "k" });
}

export function cluster(nodes: Cluster): RedisBackend {
  return createRedisBackend(nodes, { keyPrefix: "app" });
}

// @ts-expect-error not a Redis client
createLock({ get: async () => null });
