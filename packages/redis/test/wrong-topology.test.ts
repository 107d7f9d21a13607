/**
 * A client of the wrong kind for the server (a new user's finding, issue 26): a single-node
 * client on one node of a Redis Cluster reaches only that node's slots, so some keys worked and
 * the others failed with `Internal … MOVED`. Every operation is now refused with
 * `InvalidArgument` naming the cluster client to use: by the first-use check (INFO cluster) when
 * the first key lives on that node, by the MOVED reply otherwise. The reverse, a cluster client
 * on a server that is not a cluster node, is refused the same way.
 */
import { isLockError, type LockError } from "@syncguard/core";
import { Cluster as IoredisCluster } from "ioredis";
import { createClient, createCluster } from "redis";
import { classifyRedisError, createRedisBackend } from "../src";
import { DEFAULT_KEY_PREFIX } from "../src/config";
import { layoutForKey } from "../src/keys";
import { CLIENT_LABELS, type ClientLibrary, LIBRARIES, testClient } from "./helpers/clients";
import { clusterNodes, redisUrl, uniqueKey } from "./helpers/services";

async function failure(promise: Promise<unknown>): Promise<LockError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isLockError(error)) throw new Error(`expected a LockError, got ${String(error)}`);
  return error;
}

const CLUSTER_ADVICE: Record<ClientLibrary, RegExp> = {
  redis: /createCluster\(\{ rootNodes \}\)/,
  redis5: /createCluster\(\{ rootNodes \}\)/,
  ioredis: /new Cluster\(\[\.\.\.\]\)/,
  ioredis5: /new Cluster\(\[\.\.\.\]\)/,
};

describe.each(LIBRARIES.map((library) => [CLIENT_LABELS[library], library] as const))(
  "a single-node %s client on one Redis Cluster node",
  (_label: string, library: ClientLibrary) => {
    const node = `redis://${clusterNodes()[0]}`;

    /** Keys whose lock records this node serves, and keys it redirects (MOVED). */
    async function keysByNode(): Promise<{ local: string; remote: string }> {
      const probe = createClient({ url: node });
      await probe.connect();
      const found: { local?: string; remote?: string } = {};
      try {
        while (found.local === undefined || found.remote === undefined) {
          const key = uniqueKey("topology");
          const record = layoutForKey(DEFAULT_KEY_PREFIX, key).record;
          const moved = await probe.get(record).then(
            () => false,
            (error: Error) => /^MOVED/.test(error.message),
          );
          if (moved) found.remote ??= key;
          else found.local ??= key;
        }
      } finally {
        probe.destroy();
      }
      return found as { local: string; remote: string };
    }

    it.each([
      ["on that node (the first-use check sees cluster_enabled)", "local"],
      ["on another node (the server answers MOVED)", "remote"],
    ] as const)(
      "refuses every operation with InvalidArgument naming the cluster client, the first key %s",
      async (_where, first) => {
        const keys = await keysByNode();
        const user = testClient(library, node);
        await user.connect();
        const backend = createRedisBackend(user.client);
        try {
          for (const key of [keys[first], keys.local, keys.remote]) {
            const error = await failure(backend.acquire({ key, ttlMs: 5_000 }));
            expect(error.code).toBe("InvalidArgument");
            expect(error.message).toMatch(/Redis Cluster node/);
            expect(error.message).toMatch(CLUSTER_ADVICE[library]);
          }
          const read = await failure(backend.isLocked({ key: keys.remote }));
          expect(read.code).toBe("InvalidArgument");
        } finally {
          await backend.close();
          user.destroy();
        }
      },
    );
  },
);

describe("a cluster client on a server that is not a cluster node", () => {
  it("node-redis createCluster: InvalidArgument naming createClient", async () => {
    const cluster = createCluster({ rootNodes: [{ url: redisUrl() }] });
    cluster.on("error", () => {});
    const backend = createRedisBackend(cluster);
    await expect(cluster.connect()).rejects.toThrow();
    try {
      const error = await failure(backend.acquire({ key: uniqueKey("reverse"), ttlMs: 5_000 }));
      expect(error.code).toBe("InvalidArgument");
      expect(error.message).toMatch(/not a Redis Cluster node.*createClient\(\{ url \}\)/);
    } finally {
      await backend.close();
    }
  });

  it("ioredis new Cluster: InvalidArgument naming new Redis, after its first slots refresh", async () => {
    const { hostname, port } = new URL(redisUrl());
    const cluster = new IoredisCluster([{ host: hostname, port: Number(port) }]);
    cluster.on("error", () => {});
    const backend = createRedisBackend(cluster);
    try {
      const error = await failure(backend.acquire({ key: uniqueKey("reverse"), ttlMs: 5_000 }));
      expect(error.code).toBe("InvalidArgument");
      expect(error.message).toMatch(/not a Redis Cluster node.*new Redis\(url\)/);
    } finally {
      await backend.close();
      cluster.disconnect();
    }
  });
});

describe("redirection replies", () => {
  it("are InvalidArgument wherever they sit in the error", () => {
    expect(classifyRedisError(new Error("MOVED 13104 127.0.0.1:7002"))).toBe("InvalidArgument");
    expect(classifyRedisError(new Error("ASK 13104 127.0.0.1:7002"))).toBe("InvalidArgument");
    const wrapped = Object.assign(new Error("Failed to refresh slots cache."), {
      lastNodeError: new Error("ERR This instance has cluster support disabled"),
    });
    expect(classifyRedisError(wrapped)).toBe("InvalidArgument");
  });
});
