import { LockError } from "@syncguard/core";
import type { ChannelListener, IoredisClient, ScriptCall } from "../types";
import {
  type ClientAdapter,
  type ScanNode,
  type Sender,
  type Settled,
  scanArguments,
  scanReply,
} from "./adapter";
import { type ConnectionState, clientEvents } from "./connection";
import { type DedicatedSubscriber, dedicatedSubscriberTransport } from "./dedicated-subscriber";
import { hashSlot } from "./hash-slot";
import { perShardSubscriber } from "./per-shard-subscriber";

/**
 * An ioredis client (`new Redis()`, Sentinel included, or `new Cluster()`), or one of its fork
 * iovalkey, which keeps the same API.
 */
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
    connection: ioredisConnection(client),
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
  scan: async (cursor, match, count, type) =>
    scanReply(
      await (connection as IoredisCommander).call(
        "SCAN",
        ...scanArguments(cursor, match, count, type),
      ),
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

/** Statuses of a connection attempt under way ("wait": lazyConnect, not started yet). */
const OPENING = new Set(["wait", "connecting", "connect"]);

/**
 * ioredis users expect `new Redis()` to take commands at once, so while its first connection is
 * under way an operation waits for it (within operationTimeoutMs and its signal). The backend
 * never puts a command into ioredis's offline queue: a command that waits there is sent whenever
 * the client connects, however late, so one given up on could still run. Waiting outside the
 * client, a command given up on was never sent (ServiceUnavailable). Once the first attempt has
 * failed, or after the client has been ready, a client that is not ready is refused at once.
 */
function ioredisConnection(client: IoredisClient): ConnectionState {
  const events = clientEvents(client);
  const readyAtStart = client.status === "ready";
  const lazy = client as unknown as { connect?(): Promise<unknown> };
  return {
    get status() {
      const { status } = client;
      if (status === "ready") return "ready";
      if (readyAtStart || events.wasReady || events.failedBeforeReady) return "down";
      return OPENING.has(status) ? "opening" : "down";
    },
    get lastError() {
      return events.lastError;
    },
    changed() {
      // A lazyConnect client connects on its first command; the backend sends none while waiting.
      if (client.status === "wait") lazy.connect?.call(client).catch(() => {});
      return events.next();
    },
  };
}

/** Scripts and GETs in node-redis's call shape. */
function ioredisSender(client: IoredisClient): Sender {
  // ioredis (5 and 6) flattens array arguments into the command: no spread copy of our own.
  const evalsha = client.evalsha as (...args: unknown[]) => Promise<unknown>;
  const evalScript = client.eval as (...args: unknown[]) => Promise<unknown>;
  const pipelined = async (
    command: "evalsha" | "eval",
    script: string,
    call: ScriptCall,
    followers: readonly string[][],
  ): Promise<Settled[]> => {
    const pipeline = (client as unknown as { pipeline(): IoredisPipeline }).pipeline();
    pipeline[command](script, call.keys.length, call.keys, call.arguments);
    for (const [name, ...args] of followers) pipeline.call(name as string, ...args);
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(
      ([error, value]): Settled => (error ? { ok: false, error } : { ok: true, value }),
    );
  };
  return {
    evalSha: (sha, call) => evalsha.call(client, sha, call.keys.length, call.keys, call.arguments),
    eval: (source, call) =>
      evalScript.call(client, source, call.keys.length, call.keys, call.arguments),
    // A pipeline goes on one connection (on a cluster: the node of the script's keys; keyless
    // followers go with it), in order.
    evalShaThen: (sha, call, followers) => pipelined("evalsha", sha, call, followers),
    evalThen: (source, call, followers) => pipelined("eval", source, call, followers),
    get: (key) => client.get(key),
  };
}

/** The part of an ioredis pipeline the durable calls use. */
interface IoredisPipeline {
  evalsha(...args: unknown[]): unknown;
  eval(...args: unknown[]): unknown;
  call(command: string, ...args: string[]): unknown;
  exec(): Promise<Array<[Error | null, unknown]> | null>;
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
  if (!hasShardedSubscribers(client)) return openPerShardSubscribers(client);
  const connection = client.duplicate(
    [] as never,
    { shardedSubscribers: true, lazyConnect: true } as never,
  ) as IoredisConnection;
  const subscriber = subscriberOn(connection, SHARDED);
  await connectQuietly(connection);
  return subscriber;
}

/** ioredis 5.6+ has the `shardedSubscribers` cluster option (default false); iovalkey 0.4 has not. */
function hasShardedSubscribers(client: IoredisClient): boolean {
  const options = client.options as { shardedSubscribers?: unknown } | undefined;
  return typeof options?.shardedSubscribers === "boolean";
}

/** The parts of an ioredis-family cluster client that per-shard routing reads. */
interface IoredisClusterInternals {
  /** By slot: the addresses ("host:port") of the nodes serving it, the master first. */
  readonly slots: ReadonlyArray<readonly string[] | undefined>;
  nodes(role: "all"): Array<{ duplicate(options: object): unknown }>;
}

/**
 * A cluster client without `shardedSubscribers` (iovalkey): one subscriber per shard, each a
 * duplicate of one of the client's node connections (credentials and TLS carry over) pointed at
 * the shard's master, found by the channel's hash slot in the client's own slot table.
 */
async function openPerShardSubscribers(client: IoredisClient): Promise<DedicatedSubscriber> {
  const cluster = client as unknown as IoredisClusterInternals;
  return perShardSubscriber(
    (channel) => cluster.slots[hashSlot(channel)]?.[0],
    async (address) => {
      const separator = address.lastIndexOf(":");
      const [node] = cluster.nodes("all");
      if (node === undefined || separator === -1) {
        throw new Error(`cannot open a subscriber on cluster node ${address}`);
      }
      const connection = node.duplicate({
        host: address.slice(0, separator),
        port: Number(address.slice(separator + 1)),
        lazyConnect: true,
      }) as IoredisConnection;
      const subscriber = subscriberOn(connection, SHARDED);
      await connectQuietly(connection);
      return subscriber;
    },
  );
}
