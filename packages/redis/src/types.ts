import type { BackendCapabilities, LockBackend } from "@syncguard/core";

export interface RedisCapabilities extends BackendCapabilities {
  readonly backend: "redis";
  readonly supportsFencing: true;
  readonly timeAuthority: "server";
}

export interface RedisBackendOptions {
  /** Namespace for every key and channel. Default "syncguard". No `{` or `}`, at most 256 bytes. */
  keyPrefix?: string;
  /** Let isLocked delete records expired past the cleanup guard (never fence counters). Default false. */
  cleanupInIsLocked?: boolean;
}

/** The backend plus `close()`, which ends the pub/sub connection used by `subscribe`. */
export type RedisBackend = LockBackend<RedisCapabilities> & { close(): Promise<void> };

/** Keys and arguments of one script call. */
export interface ScriptCall {
  keys: string[];
  arguments: string[];
}

/**
 * The part of a node-redis client (v5/v6, `createClient` or `createCluster`, RESP2 or RESP3)
 * that the backend uses. Declared structurally so any configured client fits.
 */
export interface ScriptClient {
  evalSha(sha: string, options: ScriptCall): Promise<unknown>;
  eval(script: string, options: ScriptCall): Promise<unknown>;
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

export type RedisClientLike = StandaloneClient | ClusterClient;

export function isClusterClient(client: RedisClientLike): client is ClusterClient {
  return Array.isArray((client as Partial<ClusterClient>).masters);
}
