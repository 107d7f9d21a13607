import type { BackendCapabilities, Logger } from "@syncguard/core";
import type { DefinedBackend } from "@syncguard/core/driver";

export interface RedisCapabilities extends BackendCapabilities {
  readonly backend: "redis";
  readonly supportsFencing: true;
  readonly timeAuthority: "server";
}

/**
 * What to do when the server may evict keys (`maxmemory-policy` other than `noeviction` while
 * `maxmemory` is set): eviction can delete a live lock and let a second holder in. "refuse" (the
 * default) fails the first acquire with InvalidArgument, "warn" logs once and goes on, "off"
 * skips the check.
 */
export type EvictionPolicyCheck = "refuse" | "warn" | "off";

export interface RedisBackendOptions {
  /** Namespace for every key and channel. Default "syncguard". No `{` or `}`, at most 256 bytes. */
  keyPrefix?: string;
  /** Checked once, before the first acquire (one INFO). Default "refuse". */
  evictionPolicyCheck?: EvictionPolicyCheck;
  /**
   * Upper bound on one operation (its script call, a NOSCRIPT retry included, or its GET), in ms.
   * Past it the call rejects: `NetworkTimeout` when the command was sent (it may have run),
   * `ServiceUnavailable` when it never was (an ioredis client whose first connection did not
   * come in time). Default 10 000, at most 2^31 - 1.
   */
  operationTimeoutMs?: number;
  /**
   * Where the backend's warnings go (eviction policy, fence counter near its limit), and the
   * default logger of every lock taken on it. Default `console`.
   */
  logger?: Logger;
}

/** The backend plus `close()`, which ends the pub/sub connection used for wake-ups. */
export type RedisBackend = DefinedBackend<RedisCapabilities>;

/**
 * The part of a node-redis client (v5/v6, `createClient` or `createCluster`, RESP2 or RESP3)
 * that the backend uses. Declared structurally so any configured client fits.
 */
export interface ScriptClient {
  evalSha(sha: string, options: ScriptCall): Promise<unknown>;
  eval(script: string, options: ScriptCall): Promise<unknown>;
  get(key: string): Promise<unknown>;
  /** False while the client has no usable connection: a command would only be queued. */
  readonly isReady?: boolean;
  /** A view of the client whose commands a signal can take back while they wait to be written. */
  withAbortSignal?(signal: AbortSignal): ScriptClient;
}

/** Keys and arguments of one script call, as node-redis takes them. */
export interface ScriptCall {
  keys: string[];
  arguments: string[];
}

/** A message listener as node-redis calls it. */
export type ChannelListener = (message: string, channel: string) => unknown;

/** A dedicated pub/sub connection (a duplicate of a standalone client). */
export interface SubscriberConnection {
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: ChannelListener): Promise<void>;
  unsubscribe(channel: string, listener?: ChannelListener): Promise<void>;
  on(event: "error", listener: (error: Error) => void): unknown;
  close?(): Promise<unknown>;
  destroy(): void;
  unref?(): void;
}

/** A connected `createClient()` client. */
export interface StandaloneClient extends ScriptClient {
  duplicate(): SubscriberConnection;
}

/** A connected `createCluster()` client: sharded pub/sub runs on its own per-shard connections. */
export interface ClusterClient extends ScriptClient {
  readonly masters: readonly unknown[];
  sSubscribe(channel: string, listener: ChannelListener): Promise<void>;
  sUnsubscribe(channel: string, listener?: ChannelListener): Promise<void>;
}

/** A node-redis client, single node or cluster. */
export type NodeRedisClient = StandaloneClient | ClusterClient;

/**
 * The part of an ioredis client (5.6 or later, or 6: `new Redis()`, Sentinel included, or
 * `new Cluster()`) that the backend uses. Declared structurally, so `ioredis` is never imported.
 */
export interface IoredisClient {
  /** "ready" when commands go straight to the server. */
  readonly status: string;
  readonly isCluster: boolean;
  /** Read for its `keyPrefix`, which the backend cannot work with. */
  readonly options?: object;
  evalsha(sha: string, numKeys: number, ...keysAndArguments: string[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...keysAndArguments: string[]): Promise<unknown>;
  get(key: string): Promise<string | null>;
  /** Opens the backend's own pub/sub connection with the client's options. */
  duplicate(...args: never[]): unknown;
  /** Tells the backend when the first connection is ready. */
  once(event: "ready", listener: () => void): unknown;
}

/** Any client the backend accepts: node-redis 5 or 6, or ioredis 5.6+ or 6. */
export type RedisClientLike = NodeRedisClient | IoredisClient;
