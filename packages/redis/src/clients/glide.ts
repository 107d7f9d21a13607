import { createHash } from "node:crypto";
import { LockError } from "@syncguard/core";
import { scriptSourceOf } from "../errors";
import { loadPeer } from "../operator/peer";
import type { ChannelListener, GlideClientLike, ScriptCall } from "../types";
import type { PubSubTransport } from "../watcher";
import {
  type ClientAdapter,
  type ScanNode,
  type Sender,
  scanArguments,
  scanReply,
} from "./adapter";
import type { ConnectionState } from "./connection";
import { type DedicatedSubscriber, dedicatedSubscriberTransport } from "./dedicated-subscriber";

/** A Valkey GLIDE client: `GlideClient` (single node) or `GlideClusterClient`, 2.3 or later. */
export function isGlideClient(client: object): client is GlideClientLike {
  const candidate = client as Partial<GlideClientLike>;
  return (
    typeof candidate.invokeScript === "function" &&
    typeof candidate.customCommand === "function" &&
    typeof candidate.get === "function" &&
    typeof candidate.close === "function"
  );
}

/** GlideClusterClient alone has sharded pub/sub. */
const isGlideCluster = (client: GlideClientLike): boolean =>
  typeof (client as { ssubscribe?: unknown }).ssubscribe === "function";

export interface GlideAdapterOptions {
  /**
   * The configuration the backend creates its own subscriber client from (ADR-042); without it
   * the backend has no wake-ups and waiters poll.
   */
  subscriberConfig: object | undefined;
  /** How long a subscription may take to be confirmed. */
  subscribeTimeoutMs: number;
}

export function glideAdapter(client: GlideClientLike, options: GlideAdapterOptions): ClientAdapter {
  const cluster = isGlideCluster(client);
  const { subscriberConfig, subscribeTimeoutMs } = options;
  return {
    library: "glide",
    sender: glideSender(client),
    connection: glideConnection(client),
    ...(subscriberConfig === undefined
      ? {}
      : {
          transport: glideTransport(client, subscriberConfig, cluster, subscribeTimeoutMs),
        }),
    scanNodes: async () => (cluster ? clusterScanNodes(client) : [scanNode(client, "")]),
    cluster,
  };
}

/** GLIDE's `Script`: one SyncGuard script in GLIDE's native script container. */
interface GlideScript {
  getHash(): string;
}
type ScriptConstructor = new (code: string) => GlideScript;

let scriptClass: ScriptConstructor | undefined;

/**
 * GLIDE's `Script` class, from the `@valkey/valkey-glide` installed beside this package (the peer
 * the user's client comes from), loaded by name at run time so bundlers and installs without
 * GLIDE never look for it.
 */
function glideScriptClass(): ScriptConstructor {
  if (scriptClass) return scriptClass;
  let found: ScriptConstructor | undefined;
  try {
    found = loadPeer<{ Script?: ScriptConstructor }>("@valkey/valkey-glide").Script;
  } catch (error) {
    throw new LockError(
      "InvalidArgument",
      `createRedisBackend got a Valkey GLIDE client but cannot load @valkey/valkey-glide beside @syncguard/redis (${
        error instanceof Error ? error.message : String(error)
      }); install it as a dependency of your application`,
      { cause: error },
    );
  }
  if (typeof found !== "function") {
    throw new LockError(
      "InvalidArgument",
      "@valkey/valkey-glide has no Script class: use 2.3 or later",
    );
  }
  scriptClass = found;
  return found;
}

/**
 * One GLIDE Script per SyncGuard script, kept for the life of the process: the set is fixed
 * (a few dozen), and GLIDE keeps each in its native script container until released.
 */
const scripts = new Map<string, GlideScript>();

function scriptOf(Script: ScriptConstructor, sha: string, source: string | undefined): GlideScript {
  let script = scripts.get(sha);
  if (script === undefined) {
    const code = source ?? scriptSourceOf(sha);
    if (code === undefined) throw new Error(`no SyncGuard script has SHA-1 ${sha}`);
    script = new Script(code);
    scripts.set(sha, script);
  }
  return script;
}

/**
 * Scripts go through GLIDE's `invokeScript`, which sends EVALSHA and loads the script itself
 * after NOSCRIPT; on a cluster it routes by the first key. No promise of ours is in between.
 */
function glideSender(client: GlideClientLike): Sender {
  const Script = glideScriptClass();
  const invoke = (sha: string, source: string | undefined, call: ScriptCall): Promise<unknown> =>
    client.invokeScript(scriptOf(Script, sha, source), { keys: call.keys, args: call.arguments });
  return {
    evalSha: (sha, call) => invoke(sha, undefined, call),
    eval: (source, call) => invoke(sha1Of(source), source, call),
    get: (key) => client.get(key),
  };
}

/** The SHA-1 Redis names a script by (scripts.ts computes the same for each script it defines). */
const sha1Of = (source: string): string => createHash("sha1").update(source).digest("hex");

/**
 * GLIDE reconnects by itself and tells nobody: a command sent while it reconnects waits up to
 * its `requestTimeout`, and a TimeoutError cannot say whether it was written (NetworkTimeout).
 * Only a closed client is known to send nothing.
 */
function glideConnection(client: GlideClientLike): ConnectionState {
  const closed = new Error("the GLIDE client is closed");
  return {
    get status() {
      return (client as { isClosed?: unknown }).isClosed === true ? "down" : "ready";
    },
    get lastError() {
      return (client as { isClosed?: unknown }).isClosed === true ? closed : undefined;
    },
    // Never "opening": a GLIDE client exists only once createClient has connected.
    changed: () => Promise.resolve(),
  };
}

interface Route {
  type: "routeByAddress";
  host: string;
  port: number;
}

const scanNode = (client: GlideClientLike, id: string, route?: Route): ScanNode => ({
  id,
  scan: async (cursor, match, count, type) =>
    scanReply(
      await client.customCommand(
        ["SCAN", ...scanArguments(cursor, match, count, type)],
        route ? { route } : undefined,
      ),
    ),
});

/** Every reachable master of the cluster (CLUSTER NODES), by host:port in a stable order. */
async function clusterScanNodes(client: GlideClientLike): Promise<readonly ScanNode[]> {
  const reply = await client.customCommand(["CLUSTER", "NODES"]);
  const text = typeof reply === "string" ? reply : String(Object.values(reply as object)[0]);
  const addresses = text
    .split("\n")
    .map((line) => line.split(" "))
    .filter(([, , flags]) => flags?.split(",").includes("master") && !flags.includes("fail"))
    .map(([, address]) => (address as string).split("@")[0] as string)
    .sort();
  return addresses.map((address) => {
    const separator = address.lastIndexOf(":");
    const route: Route = {
      type: "routeByAddress",
      host: address.slice(0, separator),
      port: Number(address.slice(separator + 1)),
    };
    return scanNode(client, address, route);
  });
}

/** The part of a GLIDE client the backend's subscriber uses. */
interface GlideSubscriberClient {
  subscribe?(channels: Set<string>, timeoutMs: number): Promise<void>;
  unsubscribe?(channels: Set<string>, timeoutMs: number): Promise<void>;
  ssubscribe?(channels: Set<string>, timeoutMs: number): Promise<void>;
  sunsubscribe?(channels: Set<string>, timeoutMs: number): Promise<void>;
  close(): void;
}

interface GlideClientClass {
  createClient(config: object): Promise<GlideSubscriberClient>;
}

/**
 * Wake-ups on a GLIDE client of the backend's own (ADR-042), created with the same class as the
 * user's client from the configuration the user passed, with a callback of the backend's: the
 * user's clients, their callbacks and their message queues never see a SyncGuard message. Runtime
 * subscriptions (GLIDE 2.3+) add and remove one channel per watched key; on a cluster they are
 * sharded (SSUBSCRIBE, routed by GLIDE to the shard of the channel's slot).
 */
function glideTransport(
  client: GlideClientLike,
  config: object,
  cluster: boolean,
  timeoutMs: number,
): PubSubTransport {
  const Client = client.constructor as unknown as GlideClientClass;
  return dedicatedSubscriberTransport(async (): Promise<DedicatedSubscriber> => {
    const listeners = new Map<string, ChannelListener>();
    const subscriber = await Client.createClient({
      ...config,
      pubsubSubscriptions: {
        channelsAndPatterns: {},
        callback: (message: { channel: unknown; message: unknown }) => {
          const channel = String(message.channel);
          listeners.get(channel)?.(String(message.message), channel);
        },
      },
    });
    const subscribe = cluster ? subscriber.ssubscribe : subscriber.subscribe;
    const unsubscribe = cluster ? subscriber.sunsubscribe : subscriber.unsubscribe;
    return {
      async subscribe(channel, listener) {
        listeners.set(channel, listener);
        await subscribe?.call(subscriber, new Set([channel]), timeoutMs);
      },
      async unsubscribe(channel, listener) {
        if (listeners.get(channel) === listener) listeners.delete(channel);
        await unsubscribe?.call(subscriber, new Set([channel]), timeoutMs);
      },
      close: async () => subscriber.close(),
    };
  });
}
