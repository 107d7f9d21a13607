import type { BackendCapabilities, Logger } from "@syncguard/core";
import type { DefinedBackend } from "@syncguard/core/driver";

export interface RedisCapabilities extends BackendCapabilities {
  readonly backend: "redis";
  readonly supportsFencing: true;
  readonly timeAuthority: "server";
  /**
   * How a waiter learns that a lock was released: "pubsub" (a message on the key's channel wakes
   * it at once), or "polling" (retries with backoff: a Valkey GLIDE client without a
   * `subscriberConfig`, ADR-042).
   */
  readonly wakeUps: "pubsub" | "polling";
}

/**
 * What to do when the server may evict keys (`maxmemory-policy` other than `noeviction` while
 * `maxmemory` is set): eviction can delete a live lock and let a second holder in. "refuse" (the
 * default) fails the first acquire with InvalidArgument, "warn" logs once and goes on, "off"
 * skips the check.
 */
export type EvictionPolicyCheck = "refuse" | "warn" | "off";

/**
 * Acquisitions and extensions that survive a failover (ADR-040): after its script, each acquire
 * (with its fence increment) and each extend waits, on the same connection, until `replicas`
 * replicas have acknowledged the write (`WAIT`), and with `aof` until the primary and those
 * replicas have also written it to their append-only file (`WAITAOF`, Redis / Valkey 7.2+).
 */
export interface RedisDurability {
  /** Replicas that must acknowledge each acquire and extend. At least 1. */
  replicas: number;
  /** Also wait for the AOF fsync on the primary and on `replicas` replicas. Default false. */
  aof?: boolean;
  /** How long to wait for the acknowledgements, in ms; below `operationTimeoutMs`. */
  timeoutMs: number;
  /**
   * Fewer acknowledgements than asked by `timeoutMs`: "fail" (default) takes the write back (an
   * acquire is released) and rejects with ServiceUnavailable (acquire) or NetworkTimeout (extend)
   * naming the shortfall; "warn" logs and reports success.
   */
  onShortfall?: "fail" | "warn";
}

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
  /** Wait for replicas (and AOF) before an acquire or extend reports success. Default: off. */
  durability?: RedisDurability;
  /**
   * Valkey GLIDE clients only: the configuration (as passed to `GlideClient.createClient` or
   * `GlideClusterClient.createClient`, without `pubsubSubscriptions`) from which the backend
   * creates its own subscriber client for wake-ups on release (ADR-042). Without it a backend on
   * a GLIDE client has no wake-ups: waiters poll with backoff. Refused with other clients.
   */
  subscriberConfig?: object;
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
 * `new Cluster()`), or of its fork iovalkey 0.4, that the backend uses. Declared structurally, so
 * `ioredis` is never imported.
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

/**
 * The part of a Valkey GLIDE client (`GlideClient` or `GlideClusterClient` from
 * `@valkey/valkey-glide` 2.3 or later) that the backend uses. Declared structurally, so GLIDE is
 * imported only when a script is first run (for its `Script` class).
 */
export interface GlideClientLike {
  invokeScript(script: object, options?: { keys?: string[]; args?: string[] }): Promise<unknown>;
  customCommand(args: string[], options?: object): Promise<unknown>;
  get(key: string): Promise<unknown>;
  close(errorMessage?: string): void;
}

/**
 * Any client the backend accepts: node-redis 5 or 6, ioredis 5.6+ or 6, iovalkey 0.4, or
 * Valkey GLIDE 2.3+.
 */
export type RedisClientLike = NodeRedisClient | IoredisClient | GlideClientLike;
