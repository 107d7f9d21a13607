import { LockError } from "@syncguard/core";
import type { ChannelListener, IoredisClient, ScriptClient } from "../types";
import { type ClientAdapter, type ScanNode, scanArguments, scanReply } from "./adapter";
import { type DedicatedSubscriber, dedicatedSubscriberTransport } from "./dedicated-subscriber";

/** An ioredis client (`new Redis()`, Sentinel included, or `new Cluster()`). */
export function isIoredisClient(client: object): client is IoredisClient {
  const candidate = client as Partial<IoredisClient>;
  return (
    typeof candidate.evalsha === "function" &&
    typeof candidate.get === "function" &&
    typeof candidate.duplicate === "function" &&
    typeof candidate.once === "function" &&
    typeof candidate.status === "string"
  );
}

export function ioredisAdapter(client: IoredisClient): ClientAdapter {
  rejectClientKeyPrefix(client);
  const cluster = client.isCluster === true;
  return {
    library: "ioredis",
    sender: ioredisSender(client),
    transport: dedicatedSubscriberTransport(() =>
      cluster ? openShardedSubscriber(client) : openSubscriber(client),
    ),
    scanNodes: async () => (cluster ? clusterScanNodes(client) : [scanNode("", client)]),
    cluster,
  };
}

/** The part of an ioredis connection a listing uses. */
interface IoredisCommander {
  call(command: string, ...args: string[]): Promise<unknown>;
  readonly options?: { host?: string; port?: number };
}

const scanNode = (id: string, connection: unknown): ScanNode => ({
  id,
  scan: async (cursor, match, count) =>
    scanReply(
      await (connection as IoredisCommander).call("SCAN", ...scanArguments(cursor, match, count)),
    ),
});

/** Every master of an ioredis cluster, by host:port (a cursor names the one it is on). */
function clusterScanNodes(client: IoredisClient): readonly ScanNode[] {
  const { nodes } = client as unknown as { nodes(role: "master"): IoredisCommander[] };
  return nodes
    .call(client, "master")
    .map((node) => ({ address: `${node.options?.host}:${node.options?.port}`, node }))
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0))
    .map(({ address, node }) => scanNode(address, node));
}

/**
 * ioredis's own `keyPrefix` option would rename the keys a script is given but not the channel
 * it publishes on, so wake-ups would go unheard; the backend has its own `keyPrefix` for this.
 */
function rejectClientKeyPrefix(client: IoredisClient): void {
  const options = client.options as
    | { keyPrefix?: unknown; redisOptions?: { keyPrefix?: unknown } }
    | undefined;
  const prefix = options?.keyPrefix ?? options?.redisOptions?.keyPrefix;
  if (typeof prefix === "string" && prefix !== "") {
    throw new LockError(
      "InvalidArgument",
      `the ioredis client has keyPrefix "${prefix}" set; SyncGuard needs a client without it. ` +
        "Pass the prefix to the backend instead: createRedisBackend(client, { keyPrefix })",
    );
  }
}

/** Connection states of a client that has not been ready yet ("wait": lazyConnect, unused). */
const FIRST_CONNECT = new Set(["wait", "connecting", "connect"]);

/** Scripts and GETs in node-redis's call shape; readiness from ioredis's connection status. */
function ioredisSender(client: IoredisClient): ScriptClient {
  // ioredis users expect `new Redis()` to take commands at once: until its first connection is
  // ready it queues them (core's deadline still bounds each call). After that, a client that is
  // not ready is reconnecting, and a command is refused rather than queued behind an outage.
  let connectedOnce = client.status === "ready";
  if (!connectedOnce) {
    client.once("ready", () => {
      connectedOnce = true;
    });
  }
  // ioredis (5 and 6) flattens array arguments into the command: no spread copy of our own.
  const evalsha = client.evalsha as (...args: unknown[]) => Promise<unknown>;
  const evalScript = client.eval as (...args: unknown[]) => Promise<unknown>;
  return {
    evalSha: (sha, call) => evalsha.call(client, sha, call.keys.length, call.keys, call.arguments),
    eval: (source, call) =>
      evalScript.call(client, source, call.keys.length, call.keys, call.arguments),
    get: (key) => client.get(key),
    get isReady() {
      return client.status === "ready" || (!connectedOnce && FIRST_CONNECT.has(client.status));
    },
  };
}

/** The part of an ioredis duplicate a subscriber uses. */
interface IoredisConnection {
  readonly status: string;
  readonly stream?: { unref?(): void };
  connect(): Promise<unknown>;
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  ssubscribe(channel: string): Promise<unknown>;
  sunsubscribe(channel: string): Promise<unknown>;
  on(event: string, listener: (...args: never[]) => void): unknown;
  quit(): Promise<unknown>;
  disconnect(): void;
}

async function connectQuietly(connection: IoredisConnection): Promise<void> {
  // Without a listener an 'error' event would crash the process; failures surface per command.
  connection.on("error", () => {});
  try {
    await connection.connect();
  } catch (error) {
    connection.disconnect();
    throw error;
  }
}

async function closeGracefully(connection: IoredisConnection): Promise<void> {
  try {
    await connection.quit();
  } catch {
    connection.disconnect();
  }
}

/** Plain pub/sub on one node; sharded pub/sub (same calls, `s`-prefixed) on a cluster. */
const PLAIN = { message: "message", subscribe: "subscribe", unsubscribe: "unsubscribe" } as const;
const SHARDED = {
  message: "smessage",
  subscribe: "ssubscribe",
  unsubscribe: "sunsubscribe",
} as const;

/**
 * The backend's subscriber on a connected duplicate: each channel's messages go to the listener
 * registered for it.
 */
function subscriberOn(
  connection: IoredisConnection,
  kind: typeof PLAIN | typeof SHARDED,
): DedicatedSubscriber {
  const listeners = new Map<string, ChannelListener>();
  connection.on(kind.message, (channel: string, message: string) => {
    listeners.get(channel)?.(message, channel);
  });
  return {
    async subscribe(channel, listener) {
      listeners.set(channel, listener);
      await connection[kind.subscribe](channel);
    },
    async unsubscribe(channel, listener) {
      if (listeners.get(channel) === listener) listeners.delete(channel);
      await connection[kind.unsubscribe](channel);
    },
    close: () => closeGracefully(connection),
  };
}

/**
 * A single node (or a Sentinel-managed primary): a duplicate of the user's client, with the
 * same options, so Sentinel, TLS and credentials carry over. Its socket is unref'd (again after
 * each reconnect) so it never keeps the process alive.
 */
async function openSubscriber(client: IoredisClient): Promise<DedicatedSubscriber> {
  const connection = client.duplicate({ lazyConnect: true } as never) as IoredisConnection;
  const unref = () => connection.stream?.unref?.();
  connection.on("ready", unref);
  const subscriber = subscriberOn(connection, PLAIN);
  await connectQuietly(connection);
  unref();
  return subscriber;
}

/**
 * A cluster: sharded pub/sub needs ioredis's `shardedSubscribers` (one subscriber connection per
 * shard, following slot moves), which is off by default; a duplicate of the user's cluster
 * client turns it on without changing the user's client. The channel shares the lock's hash
 * tag, so the release script SPUBLISHes it from the shard that holds the lock.
 */
async function openShardedSubscriber(client: IoredisClient): Promise<DedicatedSubscriber> {
  const connection = client.duplicate(
    [] as never,
    { shardedSubscribers: true, lazyConnect: true } as never,
  ) as IoredisConnection;
  const subscriber = subscriberOn(connection, SHARDED);
  await connectQuietly(connection);
  return subscriber;
}
