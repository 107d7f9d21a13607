import type { ReleaseListener, Unsubscribe } from "@syncguard/core";
import { keyTag } from "@syncguard/core";
import { toRedisLockError } from "../errors";
import { layoutForTag, waiterOfMember } from "../keys";
import { HANDOFF_WINDOW_MS } from "../scripts";
import type {
  ChannelListener,
  ClusterClient,
  StandaloneClient,
  SubscriberConnection,
} from "../types";

/**
 * How long an idle subscriber connection stays open after its last channel is gone. Hot keys
 * subscribe and unsubscribe on every wait; reconnecting each time would cost a handshake per
 * wait. The connection is unref'd, so it never keeps the process alive meanwhile.
 */
export const SUBSCRIBER_IDLE_CLOSE_MS = 2_000;

/** Moves SUBSCRIBE/UNSUBSCRIBE for one channel; core does the counting. */
export interface PubSubTransport {
  /** Resolves once the server has confirmed the subscription. */
  subscribe(channel: string, listener: ChannelListener): Promise<void>;
  unsubscribe(channel: string, listener: ChannelListener): Promise<void>;
  /** Called when no channel is left. */
  idle(): void;
  close(): Promise<void>;
}

/** A single node: one lazily connected duplicate of the user's client, shared by all channels. */
export function standaloneTransport(client: StandaloneClient): PubSubTransport {
  let connection: Promise<SubscriberConnection> | undefined;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;

  const connect = (): Promise<SubscriberConnection> => {
    const duplicate = client.duplicate();
    // Without a listener an 'error' event would crash the process; failures surface per command.
    duplicate.on("error", () => {});
    const opened = duplicate.connect().then(() => {
      duplicate.unref?.();
      return duplicate;
    });
    opened.catch(() => {
      duplicate.destroy();
      if (connection === opened) connection = undefined;
    });
    return opened;
  };

  const shutdown = async (): Promise<void> => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = undefined;
    const current = connection;
    connection = undefined;
    if (!current) return;
    const conn = await current.catch(() => undefined);
    if (!conn) return;
    try {
      await (conn.close ? conn.close() : conn.destroy());
    } catch {
      conn.destroy();
    }
  };

  return {
    async subscribe(channel, listener) {
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = undefined;
      connection ??= connect();
      await (await connection).subscribe(channel, listener);
    },
    async unsubscribe(channel, listener) {
      const conn = await connection?.catch(() => undefined);
      await conn?.unsubscribe(channel, listener);
    },
    idle() {
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = setTimeout(() => void shutdown(), SUBSCRIBER_IDLE_CLOSE_MS);
      idleTimer.unref();
    },
    close: shutdown,
  };
}

/**
 * A cluster: sharded pub/sub (SSUBSCRIBE) on the cluster client itself. node-redis keeps one
 * pub/sub connection per shard and follows slot moves; the channel shares the lock's hash tag,
 * so the release script can SPUBLISH it from the shard that holds the lock.
 */
export function clusterTransport(client: ClusterClient): PubSubTransport {
  return {
    subscribe: (channel, listener) => client.sSubscribe(channel, listener),
    unsubscribe: (channel, listener) => client.sUnsubscribe(channel, listener),
    idle() {},
    async close() {},
  };
}

export interface Watcher {
  /** Subscribes to the key's release channel (core asks once per key at a time). */
  watch(key: string, listener: ReleaseListener): Promise<Unsubscribe>;
  /** True while a key with this tag is watched (including core's linger after the last waiter). */
  isWatching(tag: string): boolean;
  close(): Promise<void>;
}

/**
 * Wake-ups for the driver: one channel subscription per watched key. Core shares each watch among
 * all its waiters; this only translates messages and tells the transport when nothing is left.
 */
export function createWatcher(prefix: string, transport: PubSubTransport): Watcher {
  const active = new Map<string, ChannelListener>();

  const stop = (channel: string, dispatch: ChannelListener): void => {
    if (active.get(channel) !== dispatch) return;
    active.delete(channel);
    transport.unsubscribe(channel, dispatch).catch(() => {});
    if (active.size === 0) transport.idle();
  };

  return {
    async watch(key, listener) {
      const { channel } = layoutForTag(prefix, keyTag(key));
      // The release script publishes the queue member it reserved the key for, or "released".
      const dispatch: ChannelListener = (message) => {
        const reservedFor = message === "released" ? undefined : waiterOfMember(String(message));
        listener(reservedFor, reservedFor === undefined ? undefined : HANDOFF_WINDOW_MS);
      };
      active.set(channel, dispatch);
      try {
        await transport.subscribe(channel, dispatch);
      } catch (error) {
        stop(channel, dispatch);
        throw toRedisLockError(error, "subscribe");
      }
      return () => stop(channel, dispatch);
    },
    // The channel is named by the tag, so the active channels already say it.
    isWatching: (tag) => active.has(layoutForTag(prefix, tag).channel),
    async close() {
      const entries = [...active];
      active.clear();
      await Promise.allSettled(
        entries.map(([channel, dispatch]) => transport.unsubscribe(channel, dispatch)),
      );
      await transport.close();
    },
  };
}
