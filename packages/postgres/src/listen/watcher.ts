import { LockError } from "@syncguard/core";
import { monotonicClock, type ReleaseListener, type Unsubscribe } from "@syncguard/core/driver";
import { isPool, isPostgresJs, type PgClientLike } from "../client";
import type { PostgresConfig } from "../config";
import { rowName } from "../storage";
import { parseReleasePayload } from "../wait-queue";

/** How long a release's notification is remembered, to drop its second copy. */
const COPY_MS = 2_000;

import { type ChannelSubscriber, hubFor, type ListenerHub } from "./hub";
import { clientTransport, poolTransport } from "./node-postgres";
import { postgresJsTransport } from "./postgres-js";

/** The listening connection of a client, shared by every backend made on it (see ListenerHub). */
function hubOf(client: PgClientLike): ListenerHub {
  return hubFor(client, () => {
    if (isPostgresJs(client)) return postgresJsTransport(client);
    if (isPool(client)) return poolTransport(client);
    return clientTransport(client);
  });
}

/**
 * One backend's wake-ups on release through LISTEN/NOTIFY: a contended release announces the
 * key's row name (and the waiter it reserved the key for) on the backend's channel at commit, and
 * this wakes the watcher of that key. The backend
 * subscribes to its channel on the client's shared listener while any key is watched; a watch
 * resolves once LISTEN is active (or the listener is re-listening after a break, whose wake-up
 * covers the gap), so a release committed after it is never missed.
 */
export class NotifyWatcher {
  private readonly listeners = new Map<string, ReleaseListener>();
  /** The waiter the last release of a watched key reserved it for (row name -> waiter id). */
  private readonly reservations = new Map<string, string>();
  /**
   * Releases of watched keys heard lately, by payload, and when: each comes twice when this
   * process made it (ahead, then from the server; or the other way round), once otherwise.
   */
  private readonly heard = new Map<string, number>();
  private joined: Promise<() => void> | undefined;
  private closed = false;
  private readonly hub: ListenerHub;

  constructor(
    client: PgClientLike,
    private readonly config: PostgresConfig,
  ) {
    this.hub = hubOf(client);
  }

  async watch(key: string, listener: ReleaseListener): Promise<Unsubscribe> {
    if (this.closed) throw new LockError("Internal", "the PostgreSQL backend is closed");
    const name = rowName(key);
    this.listeners.set(name, listener);
    const forget = () => {
      if (this.listeners.get(name) !== listener) return;
      this.listeners.delete(name);
      this.reservations.delete(name);
      if (this.listeners.size === 0) this.leave();
    };
    try {
      await this.join();
    } catch (error) {
      forget();
      throw error;
    }
    return forget;
  }

  /**
   * True (once) when the last release of the key announced a reservation for `waiterId`: that
   * waiter's next attempt can take the key without queue work.
   */
  takeReservation(name: string, waiterId: string): boolean {
    if (this.reservations.get(name) !== waiterId) return false;
    this.reservations.delete(name);
    return true;
  }

  /**
   * A release this backend made announced `payload`: its statement has committed, so waiters in
   * this process (on any backend of this client) are told now, ahead of the server's
   * notification, whose copy is then dropped.
   */
  releasedHere(payload: string): void {
    if (this.closed) return;
    this.hub.deliverAhead(this.config.channel, payload);
  }

  /**
   * True for the second copy of a release this process made (see `heard`). A release made
   * elsewhere comes once: its entry is swept once older than COPY_MS (the map is swept whenever
   * it holds 64 entries, so it stays small).
   */
  private secondCopy(payload: string): boolean {
    const now = monotonicClock();
    const seen = this.heard.get(payload);
    if (seen !== undefined && now - seen < COPY_MS) {
      this.heard.delete(payload);
      return true;
    }
    if (this.heard.size >= 64) {
      for (const [copy, at] of this.heard) if (now - at >= COPY_MS) this.heard.delete(copy);
    }
    this.heard.set(payload, now);
    return false;
  }

  /** Whether a key (its row name) is watched here now: it was waited for lately. */
  isWatching(name: string): boolean {
    return this.listeners.has(name);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    this.reservations.clear();
    this.heard.clear();
    this.leave();
  }

  /** Subscribes this backend to its channel once, however many keys it watches. */
  private join(): Promise<unknown> {
    if (!this.joined) {
      // A subscriber object per subscription: a late leave of an earlier one never removes it.
      const subscriber: ChannelSubscriber = {
        notified: (payload) => {
          const { name, reservedFor, reservedForMs } = parseReleasePayload(payload);
          const listener = this.listeners.get(name);
          if (!listener || this.secondCopy(payload)) return;
          if (reservedFor === undefined) this.reservations.delete(name);
          else this.reservations.set(name, reservedFor);
          listener(reservedFor, reservedForMs);
        },
        resumed: () => {
          for (const listener of [...this.listeners.values()]) listener();
        },
      };
      const joining = this.hub.join(this.config.channel, subscriber, {
        timeoutMs: this.config.operationTimeoutMs,
        logger: this.config.logger,
      });
      this.joined = joining;
      joining.catch(() => {
        if (this.joined === joining) this.joined = undefined;
      });
    }
    return this.joined;
  }

  private leave(): void {
    const joined = this.joined;
    this.joined = undefined;
    joined?.then(
      (unsubscribe) => unsubscribe(),
      () => {},
    );
  }
}
