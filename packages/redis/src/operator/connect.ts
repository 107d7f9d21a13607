import { LockError } from "@syncguard/core";
import { monotonicClock, raceDeadline } from "@syncguard/core/driver";
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
 * failure nothing is left open and the client's own error is what rejects.
 */
export async function connect(settings: RedisSettings): Promise<Connection> {
  const connection = settings.library === "redis" ? nodeRedis(settings) : ioredis(settings);
  const outcome = await raceDeadline(connection.connect(), monotonicClock() + settings.timeoutMs);
  if (outcome.by === "value") return connection;
  quietly(connection.close);
  if (outcome.by === "error") throw outcome.error;
  throw new LockError("NetworkTimeout", `no answer within ${settings.timeoutMs} ms`);
}

interface Pending extends Connection {
  connect(): Promise<unknown>;
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
  const client = cluster
    ? createCluster({
        rootNodes: urls.map((url) => ({ url })),
        defaults: { ...credentials, socket: tls ? { ...socket, tls: true as const } : socket },
      })
    : createClient({ url: urls[0] as string, socket });
  client.on("error", () => {});
  return { client, connect: () => client.connect(), close: () => client.destroy() };
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
  client.on("error", () => {});
  return { client, connect: () => client.connect(), close: () => client.disconnect() };
}
