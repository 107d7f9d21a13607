import { LockError } from "@syncguard/core";
import { monotonicClock, raceDeadline } from "@syncguard/core/driver";
import { connectError, hostOf } from "./connect-error";
import { loadPeer } from "./peer";
import type { RedisSettings } from "./settings";

/** A connected client and how to let go of it. */
export interface Connection {
  readonly client: unknown;
  close(): void;
}

/** Runs a cleanup step; its failure never replaces the error being reported. */
export function quietly(cleanup: () => unknown): void {
  try {
    const result = cleanup();
    if (result instanceof Promise) result.catch(() => {});
  } catch {
    // node-redis 5's destroy() throws "The client is closed" on a client that never connected
  }
}

/**
 * Connects once, bounded by `timeoutMs`, without reconnecting: a one-shot tool fails fast. On
 * failure nothing is left open and the error says what happened (connect-error.ts). A single
 * node is asked whether it is a Cluster node (one `INFO cluster`): without --cluster a Cluster
 * node answers only for its own slots, which would make a listing partial and lookups fail.
 */
export async function connect(settings: RedisSettings): Promise<Connection> {
  const connection = settings.library === "redis" ? nodeRedis(settings) : ioredis(settings);
  const deadline = monotonicClock() + settings.timeoutMs;
  try {
    await withinDeadline(connection.connect(), deadline, settings);
    if (!settings.cluster) {
      const info = await withinDeadline(connection.clusterInfo(), deadline, settings);
      if (/^cluster_enabled:1\b/m.test(info)) {
        throw new LockError(
          "InvalidArgument",
          `${hostOf(settings)} is a Redis Cluster node: add --cluster (any one node of the cluster will do as --url)`,
        );
      }
    }
    return connection;
  } catch (error) {
    quietly(connection.close);
    throw connectError(error, connection.emitted, settings);
  }
}

async function withinDeadline<T>(
  promise: Promise<T>,
  deadline: number,
  settings: RedisSettings,
): Promise<T> {
  const outcome = await raceDeadline(promise, deadline);
  if (outcome.by === "value") return outcome.value;
  if (outcome.by === "error") throw outcome.error;
  throw new LockError(
    "NetworkTimeout",
    `no answer within ${settings.timeoutMs} ms from ${hostOf(settings)}`,
  );
}

interface Pending extends Connection {
  connect(): Promise<unknown>;
  /** The server's `INFO cluster` section (a single node). */
  clusterInfo(): Promise<string>;
  /**
   * The errors the client emitted while connecting, oldest first: often more telling than what
   * connect() rejects with ("Connection is closed.", "All the root nodes are unavailable").
   */
  readonly emitted: readonly unknown[];
}

/** Credentials and TLS of the first URL: a cluster client gives discovered nodes only defaults. */
function rootSettings(url: string) {
  const root = new URL(url);
  return {
    ...(root.username ? { username: decodeURIComponent(root.username) } : {}),
    ...(root.password ? { password: decodeURIComponent(root.password) } : {}),
    tls: root.protocol === "rediss:",
  };
}

function nodeRedis({ urls, cluster, timeoutMs }: RedisSettings): Pending {
  const { createClient, createCluster } = loadPeer<typeof import("redis")>("redis");
  const socket = { reconnectStrategy: false as const, connectTimeout: timeoutMs };
  const { tls, ...credentials } = rootSettings(urls[0] as string);
  const emitted: unknown[] = [];
  if (cluster) {
    const client = createCluster({
      rootNodes: urls.map((url) => ({ url })),
      defaults: { ...credentials, socket: tls ? { ...socket, tls: true as const } : socket },
    });
    client.on("error", (error: unknown) => emitted.push(error));
    return {
      client,
      emitted,
      connect: () => client.connect(),
      clusterInfo: () => Promise.reject(new Error("a cluster client has no single node")),
      close: () => client.destroy(),
    };
  }
  const client = createClient({ url: urls[0] as string, socket });
  client.on("error", (error: unknown) => emitted.push(error));
  return {
    client,
    emitted,
    connect: () => client.connect(),
    clusterInfo: async () => String(await client.sendCommand(["INFO", "cluster"])),
    close: () => client.destroy(),
  };
}

function ioredis({ urls, cluster, timeoutMs }: RedisSettings): Pending {
  const { Redis, Cluster } = loadPeer<typeof import("ioredis")>("ioredis");
  const once = { retryStrategy: () => null, connectTimeout: timeoutMs, lazyConnect: true };
  const { tls, ...credentials } = rootSettings(urls[0] as string);
  const client = cluster
    ? new Cluster(
        urls.map((url) => {
          const { hostname, port } = new URL(url);
          return { host: hostname, port: Number(port || 6379) };
        }),
        {
          lazyConnect: true,
          clusterRetryStrategy: () => null,
          redisOptions: { ...once, ...credentials, ...(tls ? { tls: {} } : {}) },
        },
      )
    : new Redis(urls[0] as string, once);
  const emitted: unknown[] = [];
  client.on("error", (error: unknown) => emitted.push(error));
  return {
    client,
    emitted,
    // ioredis reports a refused handshake command (AUTH, SELECT) only as an "error" event, and
    // connect() then rejects with "Connection is closed." or, for SELECT, resolves on database 0.
    connect: async () => {
      const before = emitted.length;
      await client.connect();
      if (emitted.length > before) throw emitted[emitted.length - 1];
    },
    clusterInfo: async () => String(await client.call("INFO", "cluster")),
    close: () => client.disconnect(),
  };
}
