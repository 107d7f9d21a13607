import { errorMonitor } from "node:events";
import { isErrorLike } from "../errors";

/**
 * Whether a command sent now would go to the server:
 * - "ready": it is written at once;
 * - "opening": the client's first connection is under way (ioredis, which users expect to take
 *   commands at once): wait for it, within the operation's deadline;
 * - "down": it would only wait in the client's offline queue (disconnected, reconnecting,
 *   closed, or a first connection that already failed): refuse, nothing sent.
 */
export type ConnectionStatus = "ready" | "opening" | "down";

export interface ConnectionState {
  readonly status: ConnectionStatus;
  /**
   * What the client last reported going wrong since it was last ready (a refused connection,
   * refused credentials): why it is down. Heard only where the client emits its errors, which
   * node-redis always does and ioredis does when the application listens to them.
   */
  readonly lastError: Error | undefined;
  /** Settles at the client's next ready, failed connection attempt or close (never rejects). */
  changed(): Promise<void>;
}

/** The part of a client's EventEmitter the backend listens on. */
interface Emitter {
  on(event: string | symbol, listener: (...args: unknown[]) => void): unknown;
  once(event: string | symbol, listener: (...args: unknown[]) => void): unknown;
  removeListener(event: string | symbol, listener: (...args: unknown[]) => void): unknown;
}

const isEmitter = (client: object): client is Emitter =>
  typeof (client as Partial<Emitter>).on === "function" &&
  typeof (client as Partial<Emitter>).once === "function" &&
  typeof (client as Partial<Emitter>).removeListener === "function";

/** What one client has told the backend: shared by every backend on it (listeners added once). */
export interface ClientEvents {
  readonly lastError: Error | undefined;
  /** The client became ready since the backend listens. */
  readonly wasReady: boolean;
  /** A connection attempt ended (close, end) before the client was ever ready. */
  readonly failedBeforeReady: boolean;
  /** Settles at the client's next ready, error, close or end; one set of listeners however many wait. */
  next(): Promise<void>;
}

/** The events after which a client's state is worth looking at again. */
const CHANGES = ["ready", "close", "end", errorMonitor] as const;

const seen = new WeakMap<object, ClientEvents>();

/**
 * Listens to a client's errors with `errorMonitor`, which observes them without handling them:
 * an application that has no 'error' listener sees what it saw before (node-redis throws,
 * ioredis logs). An error is forgotten once the client is ready again.
 */
export function clientEvents(client: object): ClientEvents {
  const known = seen.get(client);
  if (known) return known;
  let lastError: Error | undefined;
  let wasReady = false;
  let failedBeforeReady = false;
  let pending: Promise<void> | undefined;
  const events: ClientEvents = {
    get lastError() {
      return lastError;
    },
    get wasReady() {
      return wasReady;
    },
    get failedBeforeReady() {
      return failedBeforeReady;
    },
    next() {
      if (!isEmitter(client)) return new Promise<void>(() => {});
      pending ??= new Promise<void>((resolve) => {
        const done = () => {
          for (const name of CHANGES) client.removeListener(name, done);
          pending = undefined;
          resolve();
        };
        for (const name of CHANGES) client.once(name, done);
      });
      return pending;
    },
  };
  if (isEmitter(client)) {
    client.on(errorMonitor, (error) => {
      if (isErrorLike(error)) lastError = error;
    });
    client.on("ready", () => {
      lastError = undefined;
      wasReady = true;
    });
    const ended = () => {
      if (!wasReady) failedBeforeReady = true;
    };
    client.on("close", ended);
    client.on("end", ended);
  }
  seen.set(client, events);
  return events;
}
