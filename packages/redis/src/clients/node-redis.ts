import type {
  ClusterClient,
  NodeRedisClient,
  ScriptCall,
  ScriptClient,
  StandaloneClient,
  SubscriberConnection,
} from "../types";
import type { PubSubTransport } from "../watcher";
import {
  type ClientAdapter,
  type ScanNode,
  type Sender,
  scanArguments,
  scanReply,
  settleAll,
} from "./adapter";
import { type ConnectionState, clientEvents } from "./connection";
import { type DedicatedSubscriber, dedicatedSubscriberTransport } from "./dedicated-subscriber";

/** A node-redis client (v5 or v6): `createClient()` or `createCluster()`. */
export function isNodeRedisClient(client: object): client is NodeRedisClient {
  const candidate = client as Partial<NodeRedisClient>;
  return typeof candidate.evalSha === "function" && typeof candidate.get === "function";
}

function isCluster(client: NodeRedisClient): client is ClusterClient {
  return Array.isArray((client as Partial<ClusterClient>).masters);
}

export function nodeRedisAdapter(client: NodeRedisClient): ClientAdapter {
  const cluster = isCluster(client);
  const view = withoutCommandTimers(client);
  return {
    library: "node-redis",
    sender: cluster ? clusterSender(view as ClusterClient) : rawScriptSender(view),
    connection: nodeRedisConnection(client),
    transport: cluster
      ? shardedTransport(client)
      : dedicatedSubscriberTransport(() => openDuplicate(client)),
    scanNodes: () => (cluster ? clusterScanNodes(client) : Promise.resolve([scanNode("", client)])),
    cluster,
  };
}

/** What a listing sends on: raw commands (SCAN's reply shape differs between node-redis majors). */
interface CommandSender {
  sendCommand(args: string[]): Promise<unknown>;
}

const scanNode = (id: string, client: unknown): ScanNode => ({
  id,
  scan: async (cursor, match, count, type) =>
    scanReply(
      await (client as CommandSender).sendCommand([
        "SCAN",
        ...scanArguments(cursor, match, count, type),
      ]),
    ),
});

/** Every master of a node-redis cluster, by address (a cursor names the one it is on). */
async function clusterScanNodes(client: ClusterClient): Promise<readonly ScanNode[]> {
  const { nodeClient } = client as unknown as {
    nodeClient(node: unknown): unknown;
  };
  const masters = (client.masters as readonly { address: string }[])
    .slice()
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return Promise.all(
    masters.map(async (master) => scanNode(master.address, await nodeClient.call(client, master))),
  );
}

/**
 * The client view the operations send on. node-redis 6 arms an `AbortSignal.timeout` for every
 * command (its 5 s default), which only bounds the time a command waits to be written, about a
 * tenth of the client CPU of a call. The backend refuses to send while the client is not ready,
 * and bounds every operation itself by operationTimeoutMs with core's shared timer, so its own
 * calls go without it.
 */
function withoutCommandTimers(client: NodeRedisClient): NodeRedisClient {
  // Not in NodeRedisClient: its node-redis typing ties the view to the client's RESP version.
  const { withCommandOptions } = client as {
    withCommandOptions?: (options: { timeout: number }) => NodeRedisClient;
  };
  return typeof withCommandOptions === "function"
    ? withCommandOptions.call(client, { timeout: 0 })
    : client;
}

/**
 * node-redis takes a command only when it is connected: the application connects it
 * (`await client.connect()`), so a client that is not ready is refused at once, whether it never
 * connected, is reconnecting (refused credentials keep it there) or was closed.
 */
function nodeRedisConnection(client: NodeRedisClient): ConnectionState {
  const events = clientEvents(client);
  return {
    get status() {
      return client.isReady === false ? "down" : "ready";
    },
    get lastError() {
      return events.lastError;
    },
    changed: () => events.next(),
  };
}

/** What a single node's sender uses of a node-redis client view. */
interface CommandView {
  sendCommand(args: string[]): Promise<unknown>;
  get(key: string): Promise<unknown>;
  withAbortSignal?(signal: AbortSignal): CommandView;
}

/**
 * A single node: scripts go out as raw `EVALSHA`/`EVAL` arguments, skipping the argument parser
 * node-redis runs for its typed `evalSha` (the reply is the same: EVAL has no reply transform). A
 * cluster client keeps the typed call, which routes by the first key.
 */
function rawScriptSender(client: NodeRedisClient): Sender {
  const over = (view: CommandView): Sender => ({
    evalSha: (sha, call) => view.sendCommand(scriptCommand("EVALSHA", sha, call)),
    eval: (source, call) => view.sendCommand(scriptCommand("EVAL", source, call)),
    // One connection: commands issued in one tick are written in that order.
    evalShaThen: (sha, call, followers) =>
      settleAll(
        [scriptCommand("EVALSHA", sha, call), ...followers].map((c) => view.sendCommand(c)),
      ),
    evalThen: (source, call, followers) =>
      settleAll(
        [scriptCommand("EVAL", source, call), ...followers].map((c) => view.sendCommand(c)),
      ),
    get: (key) => view.get(key),
    ...(view.withAbortSignal
      ? { withAbortSignal: (signal: AbortSignal) => over(view.withAbortSignal!(signal)) }
      : {}),
  });
  return over(client as unknown as CommandView);
}

const scriptCommand = (command: "EVALSHA" | "EVAL", script: string, call: ScriptCall): string[] => [
  command,
  script,
  String(call.keys.length),
  ...call.keys,
  ...call.arguments,
];

/** What a cluster's sender uses of a node-redis cluster client view. */
interface ClusterView {
  sendCommand(firstKey: string, isReadonly: boolean, args: string[]): Promise<unknown>;
  withAbortSignal?(signal: AbortSignal): ClusterView;
}

/**
 * A cluster keeps node-redis's typed script calls, which route by the first key. Followers (WAIT)
 * go by the same first key, so they reach the same master's connection right behind the script.
 */
function clusterSender(client: ClusterClient): Sender {
  const over = (typed: ScriptClient, raw: ClusterView): Sender => {
    const pipelined = (script: string[], call: ScriptCall, followers: readonly string[][]) => {
      const route = call.keys[0] as string;
      return settleAll([script, ...followers].map((c) => raw.sendCommand(route, false, c)));
    };
    return {
      evalSha: (sha, call) => typed.evalSha(sha, call),
      eval: (source, call) => typed.eval(source, call),
      evalShaThen: (sha, call, followers) =>
        pipelined(scriptCommand("EVALSHA", sha, call), call, followers),
      evalThen: (source, call, followers) =>
        pipelined(scriptCommand("EVAL", source, call), call, followers),
      get: (key) => typed.get(key),
      ...(typed.withAbortSignal && raw.withAbortSignal
        ? {
            withAbortSignal: (signal: AbortSignal) =>
              over(
                (typed.withAbortSignal as (s: AbortSignal) => ScriptClient).call(typed, signal),
                (raw.withAbortSignal as (s: AbortSignal) => ClusterView).call(raw, signal),
              ),
          }
        : {}),
    };
  };
  return over(client, client as unknown as ClusterView);
}

/** A single node: a duplicate of the user's client, unref'd so it never keeps the process alive. */
async function openDuplicate(client: StandaloneClient): Promise<DedicatedSubscriber> {
  const duplicate: SubscriberConnection = client.duplicate();
  // Without a listener an 'error' event would crash the process; failures surface per command.
  duplicate.on("error", () => {});
  try {
    await duplicate.connect();
  } catch (error) {
    duplicate.destroy();
    throw error;
  }
  duplicate.unref?.();
  return {
    subscribe: (channel, listener) => duplicate.subscribe(channel, listener),
    unsubscribe: (channel, listener) => duplicate.unsubscribe(channel, listener),
    async close() {
      try {
        await (duplicate.close ? duplicate.close() : duplicate.destroy());
      } catch {
        duplicate.destroy();
      }
    },
  };
}

/**
 * A cluster: sharded pub/sub (SSUBSCRIBE) on the cluster client itself. node-redis keeps one
 * pub/sub connection per shard and follows slot moves; the channel shares the lock's hash tag,
 * so the release script can SPUBLISH it from the shard that holds the lock.
 */
function shardedTransport(client: ClusterClient): PubSubTransport {
  return {
    subscribe: (channel, listener) => client.sSubscribe(channel, listener),
    unsubscribe: (channel, listener) => client.sUnsubscribe(channel, listener),
    idle() {},
    async close() {},
  };
}
