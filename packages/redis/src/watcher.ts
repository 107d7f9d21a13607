import type { ReleaseListener, Unsubscribe } from "@syncguard/core/driver";
import { keyTag } from "@syncguard/core/driver";
import { toRedisLockError } from "./errors";
import { channelForTag, waiterOfMember } from "./keys";
import { HANDOFF_WINDOW_MS } from "./scripts";
import type { ChannelListener } from "./types";

/** Moves SUBSCRIBE/UNSUBSCRIBE for one channel; core does the counting. */
export interface PubSubTransport {
  /** Resolves once the server has confirmed the subscription. */
  subscribe(channel: string, listener: ChannelListener): Promise<void>;
  unsubscribe(channel: string, listener: ChannelListener): Promise<void>;
  /** Called when no channel is left. */
  idle(): void;
  close(): Promise<void>;
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
      const channel = channelForTag(prefix, keyTag(key));
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
        throw toRedisLockError(error, "watch");
      }
      return () => stop(channel, dispatch);
    },
    // The channel is named by the tag, so the active channels already say it.
    isWatching: (tag) => active.size > 0 && active.has(channelForTag(prefix, tag)),
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

/**
 * The watcher of a backend without wake-ups (GLIDE without a subscriberConfig): nothing is ever
 * watched, and the driver has no `watch` for core to call, so waiters poll.
 */
export const NO_WATCHER: Watcher = Object.freeze({
  watch: () => Promise.reject(new Error("this Redis backend has no wake-up subscriber")),
  isWatching: () => false,
  close: () => Promise.resolve(),
});
