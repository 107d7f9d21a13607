import {
  LockError,
  monotonicClock,
  type ReleaseListener,
  raceDeadline,
  type Unsubscribe,
} from "@syncguard/core";
import {
  isPool,
  isPostgresJs,
  type PgClientLike,
  type PgConnectionLike,
  type PgNotificationLike,
  type PgPoolClientLike,
  type PostgresJsLike,
} from "../client";
import type { PostgresConfig } from "../config";
import { toPostgresLockError } from "../errors";
import { rowName } from "../storage";

/** How long the listening connection stays open after the last watch ends (hot keys churn). */
const LINGER_MS = 1_000;

interface Listening {
  /** Gives the connection back (pool) or only stops listening (the caller's own client). */
  readonly close: (broken?: Error) => Promise<void>;
}

/**
 * Wake-ups on release through LISTEN/NOTIFY: one connection per backend listens on the backend's
 * channel (taken from the pool while any key is watched, the caller's own client, or postgres.js's
 * listening connection), and a release announces the key's row name there at commit. A watch resolves once LISTEN is active,
 * so a release committed after it is never missed. If the listening connection breaks, every
 * watcher is woken (its next attempt or poll finds the truth) and the next watch reconnects.
 */
export class NotifyWatcher {
  private readonly listeners = new Map<string, ReleaseListener>();
  private listening: Promise<Listening> | undefined;
  private lingerTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    private readonly client: PgClientLike,
    private readonly config: PostgresConfig,
  ) {}

  async watch(key: string, listener: ReleaseListener): Promise<Unsubscribe> {
    if (this.closed) throw new LockError("Internal", "the PostgreSQL backend is closed");
    const name = rowName(key);
    this.listeners.set(name, listener);
    clearTimeout(this.lingerTimer);
    try {
      // A connection being closed by a lingering stop is not good enough: wait for a live one.
      for (;;) {
        const listening = this.connect();
        await listening;
        if (this.listening === listening) break;
      }
    } catch (error) {
      if (this.listeners.get(name) === listener) this.listeners.delete(name);
      throw error;
    }
    return () => {
      if (this.listeners.get(name) !== listener) return;
      this.listeners.delete(name);
      if (this.listeners.size === 0) this.scheduleStop();
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    clearTimeout(this.lingerTimer);
    await this.stop();
  }

  private connect(): Promise<Listening> {
    this.listening ??= this.open().catch((error: unknown) => {
      this.listening = undefined;
      throw toPostgresLockError(error, "watch (LISTEN)", false, this.config.locksTable);
    });
    return this.listening;
  }

  private open(): Promise<Listening> {
    const deadline = monotonicClock() + this.config.operationTimeoutMs;
    return isPostgresJs(this.client)
      ? this.openPostgresJs(this.client, deadline)
      : this.openNodePostgres(this.client, deadline);
  }

  private wake(payload: string): void {
    this.listeners.get(payload)?.();
  }

  private wakeAll(): void {
    for (const listener of [...this.listeners.values()]) listener();
  }

  /**
   * postgres.js listens on a connection of its own and, when it breaks, reconnects and listens
   * again by itself, calling `onlisten` each time: a second call means releases may have been
   * missed in between, so every watcher is woken.
   */
  private async openPostgresJs(sql: PostgresJsLike, deadline: number): Promise<Listening> {
    let listened = false;
    const request = sql.listen(
      this.config.channel,
      (payload) => this.wake(payload),
      () => {
        if (listened) this.wakeAll();
        listened = true;
      },
    );
    const got = await raceDeadline(request, deadline);
    if (got.by === "error") throw got.error;
    if (got.by !== "value") {
      request.then(
        (late) => late.unlisten(),
        () => {},
      );
      throw this.timeout();
    }
    const meta = got.value;
    return {
      close: async () => {
        await raceDeadline(meta.unlisten(), monotonicClock() + this.config.operationTimeoutMs);
      },
    };
  }

  private async openNodePostgres(
    client: Exclude<PgClientLike, PostgresJsLike>,
    deadline: number,
  ): Promise<Listening> {
    let connection: PgConnectionLike;
    let giveBack: (broken?: Error) => void = () => {};
    if (isPool(client)) {
      const got = await raceDeadline(client.connect(), deadline);
      if (got.by === "error") throw got.error;
      if (got.by !== "value") throw this.timeout();
      const pooled: PgPoolClientLike = got.value;
      connection = pooled;
      giveBack = (broken) => pooled.release(broken ?? false);
    } else {
      connection = client;
    }
    const onNotification = (message: PgNotificationLike) => {
      if (message.channel !== this.config.channel || message.payload === undefined) return;
      this.wake(message.payload);
    };
    const onError = (error: Error) => void this.broken(error);
    connection.on("notification", onNotification);
    connection.on("error", onError);
    // Once detached, errors still need a listener (an unheard 'error' event crashes the process)
    // until the connection is back in the pool healthy.
    const ignore = () => {};
    const detach = () => {
      connection.on("error", ignore);
      connection.removeListener("notification", onNotification);
      connection.removeListener("error", onError);
    };
    const channel = `"${this.config.channel}"`;
    const close = async (broken?: Error) => {
      detach();
      const unlistened = broken
        ? undefined
        : await raceDeadline(
            connection.query(`UNLISTEN ${channel}`),
            monotonicClock() + this.config.operationTimeoutMs,
          );
      // A connection that did not confirm UNLISTEN is closed rather than reused.
      const destroy =
        broken ?? (unlistened?.by === "value" ? undefined : new Error("UNLISTEN failed"));
      if (!destroy) connection.removeListener("error", ignore);
      giveBack(destroy);
    };
    const listened = await raceDeadline(connection.query(`LISTEN ${channel}`), deadline);
    if (listened.by !== "value") {
      detach();
      giveBack(new Error("LISTEN failed"));
      throw listened.by === "error" ? listened.error : this.timeout();
    }
    return { close };
  }

  private timeout(): LockError {
    return new LockError(
      "ServiceUnavailable",
      `PostgreSQL watch (LISTEN) got no answer within ${this.config.operationTimeoutMs} ms`,
    );
  }

  /** The listening connection failed: wake everyone, forget it; the next watch reconnects. */
  private async broken(error: Error): Promise<void> {
    const was = this.listening;
    this.listening = undefined;
    this.wakeAll();
    const listening = await was?.catch(() => undefined);
    await listening?.close(error);
  }

  private scheduleStop(): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = setTimeout(() => {
      if (this.listeners.size === 0) void this.stop();
    }, LINGER_MS);
    this.lingerTimer.unref?.();
  }

  private async stop(): Promise<void> {
    const was = this.listening;
    this.listening = undefined;
    const listening = await was?.catch(() => undefined);
    await listening?.close().catch(() => {});
  }
}
