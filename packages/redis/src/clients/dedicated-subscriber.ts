import type { ChannelListener } from "../types";
import type { PubSubTransport } from "../watcher";

/**
 * How long an idle subscriber connection stays open after its last channel is gone. Hot keys
 * subscribe and unsubscribe on every wait; reconnecting each time would cost a handshake per
 * wait.
 */
export const SUBSCRIBER_IDLE_CLOSE_MS = 2_000;

/** A pub/sub connection of the backend's own, opened from the user's client. */
export interface DedicatedSubscriber {
  /** Resolves once the server has confirmed the subscription. */
  subscribe(channel: string, listener: ChannelListener): Promise<void>;
  unsubscribe(channel: string, listener: ChannelListener): Promise<void>;
  /** Ends the connection gracefully if it can, at once otherwise. */
  close(): Promise<void>;
}

/**
 * Wake-ups on a connection the backend opens itself (a pub/sub connection cannot send other
 * commands): opened on the first watch, shared by every channel, closed once idle for
 * SUBSCRIBER_IDLE_CLOSE_MS or by `close()`. A failed open is forgotten so the next watch retries.
 */
export function dedicatedSubscriberTransport(
  open: () => Promise<DedicatedSubscriber>,
): PubSubTransport {
  let connection: Promise<DedicatedSubscriber> | undefined;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;

  const stopIdleTimer = (): void => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = undefined;
  };

  const connect = (): Promise<DedicatedSubscriber> => {
    const opened = open();
    opened.catch(() => {
      if (connection === opened) connection = undefined;
    });
    return opened;
  };

  const shutdown = async (): Promise<void> => {
    stopIdleTimer();
    const current = connection;
    connection = undefined;
    const subscriber = await current?.catch(() => undefined);
    await subscriber?.close();
  };

  return {
    async subscribe(channel, listener) {
      stopIdleTimer();
      connection ??= connect();
      await (await connection).subscribe(channel, listener);
    },
    async unsubscribe(channel, listener) {
      const subscriber = await connection?.catch(() => undefined);
      await subscriber?.unsubscribe(channel, listener);
    },
    idle() {
      stopIdleTimer();
      idleTimer = setTimeout(() => void shutdown(), SUBSCRIBER_IDLE_CLOSE_MS);
      idleTimer.unref();
    },
    close: shutdown,
  };
}
