import { join } from "node:path";
import { runConformance } from "@syncguard/conformance";
import { createRedisBackend } from "../../src";
import type { RedisBackend } from "../../src/types";
import { clusterNodes, connectTarget, type Mode, redisUrl, type Target } from "./services";

/** Runs the shared conformance suite on one deployment, including the multi-process race. */
export function redisConformance(mode: Mode): void {
  let target: Target | undefined;
  let backend: RedisBackend | undefined;
  const keyPrefix = `sgconf-${mode}`;
  const env: Record<string, string> = {
    SYNCGUARD_REDIS_MODE: mode,
    SYNCGUARD_REDIS_PREFIX: keyPrefix,
  };
  if (mode === "single") env.REDIS_URL = redisUrl();
  else env.REDIS_CLUSTER_NODES = clusterNodes().join(",");
  runConformance({
    name: `redis (${mode})`,
    createBackend: async () => {
      target = await connectTarget(mode);
      backend = createRedisBackend(target.backendClient, { keyPrefix });
      return backend;
    },
    // Another process's backend on the same deployment: its own local waiters and subscriber.
    createPeerBackend: () => {
      if (!target) throw new Error("createPeerBackend before createBackend");
      return createRedisBackend(target.backendClient, { keyPrefix });
    },
    teardown: async () => {
      await backend?.close();
      await target?.close();
    },
    capabilities: {
      subscribe: true,
      list: true,
      readFence: true,
      waitQueue: true,
      semaphore: true,
      semaphoreOperators: true,
    },
    worker: { modulePath: join(__dirname, "..", "fixtures", "conformance-worker.js"), env },
  });
}
