import { callQuietly } from "./background";
import type { LockDriver } from "./driver";
import type { BackendCapabilities, ReleaseListener, Unsubscribe } from "./types";

/**
 * One wake-up subscription per key, shared by every listener in the process: the driver is asked
 * to watch a key once, and to stop when the last listener has left. Listeners are called in
 * subscription order; one that throws does not stop the others.
 */
export class Watches {
  private readonly byKey = new Map<string, Watch>();

  constructor(private readonly driver: Pick<LockDriver<BackendCapabilities>, "watch">) {}

  /** Resolves once the driver's watch is active. `key` must be normalized. */
  async subscribe(key: string, listener: ReleaseListener): Promise<Unsubscribe> {
    let watch = this.byKey.get(key);
    if (!watch) {
      watch = new Watch();
      this.byKey.set(key, watch);
      const started = watch;
      const dispatch: ReleaseListener = (reservedFor, reservedForMs) =>
        started.dispatch(reservedFor, reservedForMs);
      // Through a promise, so a driver that throws at once fails this watch like one that
      // rejects (and a later subscriber starts over) instead of leaving it looking active.
      // Watches exist only for drivers that can watch.
      watch.ready = new Promise<Unsubscribe>((resolve) =>
        resolve(this.driver.watch!(key, dispatch)),
      ).then(
        (stop) => {
          started.stop = stop;
          if (started.listeners.size === 0) this.drop(key, started);
        },
        (error: unknown) => {
          if (this.byKey.get(key) === started) this.byKey.delete(key);
          throw error;
        },
      );
    }
    watch.listeners.add(listener);
    try {
      await watch.ready;
    } catch (error) {
      watch.listeners.delete(listener);
      throw error;
    }
    const joined = watch;
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      joined.listeners.delete(listener);
      if (joined.listeners.size === 0 && joined.stop) this.drop(key, joined);
    };
  }

  /** Forgets every watch (the driver is closing them all itself). */
  clear(): void {
    for (const watch of this.byKey.values()) watch.listeners.clear();
    this.byKey.clear();
  }

  /** Keys watched right now (for tests). */
  get size(): number {
    return this.byKey.size;
  }

  private drop(key: string, watch: Watch): void {
    if (this.byKey.get(key) === watch) this.byKey.delete(key);
    const stop = watch.stop;
    watch.stop = undefined;
    // Often called from a timer (a lingering watch): a driver's failing stop must not escape.
    callQuietly(stop);
  }
}

class Watch {
  readonly listeners = new Set<ReleaseListener>();
  ready: Promise<void> = Promise.resolve();
  stop: Unsubscribe | undefined;

  dispatch(reservedFor?: string, reservedForMs?: number): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(reservedFor, reservedForMs);
      } catch {
        // One listener's failure must not keep the others asleep.
      }
    }
  }
}
