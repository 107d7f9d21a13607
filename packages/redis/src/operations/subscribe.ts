import { normalizeKey, type ReleaseListener, type Unsubscribe } from "@syncguard/core";
import { toRedisLockError } from "../errors";
import { layoutForKey, waiterOfMember } from "../keys";
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

/** Moves SUBSCRIBE/UNSUBSCRIBE for one channel; the registry above it does the counting. */
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

interface ChannelEntry {
  readonly listeners: Set<ReleaseListener>;
  readonly dispatch: ChannelListener;
  readonly ready: Promise<void>;
}

export interface Subscriptions {
  subscribe(key: string, listener: ReleaseListener): Promise<Unsubscribe>;
  close(): Promise<void>;
}

/**
 * Reference-counted channels: every waiter on a key in this process shares one SUBSCRIBE, and the
 * channel is dropped only when the last of them unsubscribes.
 */
export function createSubscriptions(prefix: string, transport: PubSubTransport): Subscriptions {
  const channels = new Map<string, ChannelEntry>();

  const drop = (channel: string, entry: ChannelEntry): void => {
    if (channels.get(channel) !== entry) return;
    channels.delete(channel);
    transport.unsubscribe(channel, entry.dispatch).catch(() => {});
    if (channels.size === 0) transport.idle();
  };

  const open = (channel: string): ChannelEntry => {
    const listeners = new Set<ReleaseListener>();
    // The release script publishes the queue member it reserved the key for, or "released".
    const dispatch: ChannelListener = (message) => {
      const reservedFor = message === "released" ? undefined : waiterOfMember(String(message));
      const reservedForMs = reservedFor === undefined ? undefined : HANDOFF_WINDOW_MS;
      for (const listener of [...listeners]) {
        try {
          listener(reservedFor, reservedForMs);
        } catch {
          // A listener's failure must not stop the others from waking.
        }
      }
    };
    const ready = transport.subscribe(channel, dispatch);
    const entry: ChannelEntry = { listeners, dispatch, ready };
    ready.catch(() => drop(channel, entry));
    channels.set(channel, entry);
    return entry;
  };

  return {
    async subscribe(key, listener) {
      const channel = layoutForKey(prefix, normalizeKey(key)).channel;
      const entry = channels.get(channel) ?? open(channel);
      entry.listeners.add(listener);
      try {
        await entry.ready;
      } catch (error) {
        entry.listeners.delete(listener);
        throw toRedisLockError(error, "subscribe");
      }
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        entry.listeners.delete(listener);
        if (entry.listeners.size === 0) drop(channel, entry);
      };
    },
    async close() {
      const entries = [...channels];
      channels.clear();
      await Promise.allSettled(
        entries.map(([channel, entry]) => transport.unsubscribe(channel, entry.dispatch)),
      );
      await transport.close();
    },
  };
}
