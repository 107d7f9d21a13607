import { LockError, type Logger } from "@syncguard/core";
import { monotonicClock, raceDeadline, writeLog } from "@syncguard/core/driver";

/** One backend's interest in a channel. */
export interface ChannelSubscriber {
  /**
   * A NOTIFY arrived on the channel, or (`ahead`) a release made in this process announced it
   * before the server's notification came back (see ListenerHub.deliverAhead).
   */
  notified(payload: string, ahead?: boolean): void;
  /** Listening again after a break: notifications sent in between were missed. */
  resumed(): void;
}

/** What a session tells its hub. */
export interface SessionEvents {
  notified(channel: string, payload: string): void;
  /** The session is gone (its connection broke); the hub opens another. */
  broken(): void;
  /** The client listens on `channel` again by itself after a break (postgres.js). */
  relistened(channel: string): void;
}

/** One connection listening on any number of channels. */
export interface ListenSession {
  /** Resolves once LISTEN is active on the server. */
  listen(channel: string, deadline: number): Promise<void>;
  unlisten(channel: string, deadline: number): Promise<void>;
  /** Stops listening; never rejects. */
  close(deadline: number): Promise<void>;
}

/** How one kind of client listens. */
export interface ListenTransport {
  /** Why this client cannot listen (now or ever); undefined when it can. */
  unavailable(): { reason: string; warn: boolean } | undefined;
  open(events: SessionEvents, deadline: number): Promise<ListenSession>;
}

/** How long a channel (and then the connection) stays listened after its last subscriber left. */
export const LINGER_MS = 1_000;

const FIRST_RETRY_MS = 50;
const MAX_RETRY_MS = 5_000;

interface OpenSession {
  readonly ready: Promise<ListenSession>;
  /** LISTEN per channel on this session, done or under way. */
  readonly channels: Map<string, Promise<void>>;
}

/** A pause that never keeps the process alive by itself. */
const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref?.();
  });

/**
 * The one listening connection of a client (a pg.Pool, a pg.Client, or postgres.js's `sql`),
 * shared by every backend on it, whatever their tables: each backend subscribes to its channel.
 * A subscription resolves once LISTEN is active, so a release committed afterwards is heard. If
 * the connection breaks, the hub listens again on a new one (retrying with backoff while anyone
 * is subscribed) and then tells every subscriber to wake its waiters once: a release in between
 * was not heard. While it is re-listening, new subscriptions resolve at once for the same reason.
 * A channel is unlistened, and the connection closed, LINGER_MS after its last subscriber left.
 */
export class ListenerHub {
  private readonly subscribers = new Map<string, Set<ChannelSubscriber>>();
  private current: OpenSession | undefined;
  private recovering = false;
  private tidyTimer: ReturnType<typeof setTimeout> | undefined;
  private timeoutMs = 0;
  private warned = false;

  constructor(private readonly transport: ListenTransport) {}

  /** Subscribes to `channel`; resolves (with the unsubscribe) once LISTEN is active. */
  async join(
    channel: string,
    subscriber: ChannelSubscriber,
    options: { timeoutMs: number; logger?: Logger | undefined },
  ): Promise<() => void> {
    this.timeoutMs = Math.max(this.timeoutMs, options.timeoutMs);
    const unavailable = this.transport.unavailable();
    if (unavailable) {
      if (unavailable.warn && !this.warned) {
        this.warned = true;
        writeLog(options.logger, "warn", `SyncGuard PostgreSQL: ${unavailable.reason}`);
      }
      throw new LockError("ServiceUnavailable", `PostgreSQL watch (LISTEN): ${unavailable.reason}`);
    }
    let set = this.subscribers.get(channel);
    if (!set) {
      set = new Set();
      this.subscribers.set(channel, set);
    }
    set.add(subscriber);
    const leave = () => {
      if (set.delete(subscriber) && set.size === 0) this.scheduleTidy();
    };
    // Re-listening after a break: its wake-up covers whatever this subscriber could miss.
    if (this.recovering) return leave;
    const deadline = monotonicClock() + options.timeoutMs;
    const listened = await raceDeadline(this.ensure(channel, deadline), deadline);
    if (listened.by === "value") return leave;
    leave();
    if (listened.by === "error") throw listened.error;
    throw new LockError(
      "ServiceUnavailable",
      `PostgreSQL watch (LISTEN) got no answer within ${options.timeoutMs} ms`,
    );
  }

  /**
   * Delivers a notification a release made in this process announced (its statement answered,
   * so it has committed) to the subscribers here now, without waiting for the server to send it
   * back to the listening connection. Each subscriber drops whichever of the two copies comes
   * second. Waiters in this process start their attempt a server wake-up and a hop earlier.
   */
  deliverAhead(channel: string, payload: string): void {
    for (const subscriber of [...(this.subscribers.get(channel) ?? [])]) {
      subscriber.notified(payload, true);
    }
  }

  /** LISTEN on `channel` on the current session, opening one if there is none. */
  private ensure(channel: string, deadline: number): Promise<void> {
    this.current ??= this.openSession(deadline);
    return this.listenOn(this.current, channel, deadline);
  }

  private listenOn(session: OpenSession, channel: string, deadline: number): Promise<void> {
    let listening = session.channels.get(channel);
    if (!listening) {
      listening = session.ready.then((s) => s.listen(channel, deadline));
      session.channels.set(channel, listening);
      const attempt = listening;
      attempt.catch(() => {
        if (session.channels.get(channel) === attempt) session.channels.delete(channel);
      });
    }
    return listening;
  }

  private openSession(deadline: number): OpenSession {
    let opened: OpenSession | undefined;
    const events: SessionEvents = {
      notified: (channel, payload) => {
        for (const subscriber of [...(this.subscribers.get(channel) ?? [])]) {
          subscriber.notified(payload);
        }
      },
      broken: () => {
        if (opened && this.current === opened) this.dropCurrent();
      },
      relistened: (channel) => {
        for (const subscriber of [...(this.subscribers.get(channel) ?? [])]) subscriber.resumed();
      },
    };
    const ready = this.transport.open(events, deadline);
    opened = { ready, channels: new Map() };
    const session = opened;
    ready.catch(() => {
      if (this.current === session) this.current = undefined;
    });
    return session;
  }

  /** The session broke: forget it, close what is left of it, and listen again if anyone waits. */
  private dropCurrent(): void {
    const was = this.current;
    this.current = undefined;
    if (was) void this.closeSession(was);
    if (this.hasSubscribers() && !this.recovering) void this.recover();
  }

  private async recover(): Promise<void> {
    this.recovering = true;
    try {
      for (let delay = FIRST_RETRY_MS; this.hasSubscribers(); ) {
        if (this.transport.unavailable()) return;
        const deadline = monotonicClock() + this.timeoutMs;
        const session = this.openSession(deadline);
        this.current = session;
        try {
          // Channels subscribed while this runs are listened too before anyone is woken.
          for (;;) {
            const missing = [...this.subscribers.keys()].filter((c) => !session.channels.has(c));
            if (missing.length === 0) break;
            const done = await raceDeadline(
              Promise.all(missing.map((channel) => this.listenOn(session, channel, deadline))),
              deadline,
            );
            if (done.by !== "value") throw new Error("LISTEN failed");
          }
          // No await between the last check for missing channels and this: a subscriber that
          // joins while recovering is either listened above or joins after it is over.
          if (this.current === session) {
            this.recovering = false;
            for (const set of [...this.subscribers.values()]) {
              for (const subscriber of [...set]) subscriber.resumed();
            }
            return;
          }
          // It broke again meanwhile: try again after a pause.
        } catch {
          if (this.current === session) this.current = undefined;
          void this.closeSession(session);
        }
        await sleep(delay);
        delay = Math.min(delay * 2, MAX_RETRY_MS);
      }
    } finally {
      this.recovering = false;
    }
  }

  private hasSubscribers(): boolean {
    for (const set of this.subscribers.values()) if (set.size > 0) return true;
    return false;
  }

  private async closeSession(session: OpenSession): Promise<void> {
    const opened = await session.ready.catch(() => undefined);
    await opened?.close(monotonicClock() + this.timeoutMs);
  }

  private scheduleTidy(): void {
    clearTimeout(this.tidyTimer);
    this.tidyTimer = setTimeout(() => this.tidy(), LINGER_MS);
    this.tidyTimer.unref?.();
  }

  /** Unlistens channels nobody subscribes to any more; closes the session once none is left. */
  private tidy(): void {
    const session = this.current;
    for (const [channel, set] of [...this.subscribers]) {
      if (set.size > 0) continue;
      this.subscribers.delete(channel);
      if (!session?.channels.delete(channel)) continue;
      const deadline = monotonicClock() + this.timeoutMs;
      void session.ready.then(
        (s) => s.unlisten(channel, deadline),
        () => undefined,
      );
    }
    if (this.subscribers.size === 0 && session) {
      this.current = undefined;
      void this.closeSession(session);
    }
  }
}

const hubs = new WeakMap<object, ListenerHub>();

/**
 * The hub of a client object, made on first use. Kept in a WeakMap of this copy of the package:
 * two copies (or its ESM and CommonJS builds both loaded) each open their own connection.
 */
export function hubFor(client: object, transport: () => ListenTransport): ListenerHub {
  let hub = hubs.get(client);
  if (!hub) {
    hub = new ListenerHub(transport());
    hubs.set(client, hub);
  }
  return hub;
}
