import type { BackendCapabilities, LockBackend, Unsubscribe } from "./types";

/**
 * Local waiters for one key of one backend, in arrival order, sharing one backend subscription.
 * A release notification wakes only the oldest waiter that is not already woken: one attempt per
 * process per release instead of a stampede of every waiter, and first come, first served among
 * the waiters of this process. A waiter that leaves with an unused wake-up passes it on, so a
 * notification is never lost.
 */
class KeyWaiters {
  readonly tickets: WaitTicket[] = [];
  unsubscribe: Unsubscribe | undefined;
  subscribed: Promise<boolean> | undefined;

  /** A release for a named waiter wakes only that waiter (if it is here); otherwise the oldest. */
  notify = (reservedFor?: string): void => {
    const next = reservedFor
      ? this.tickets.find((ticket) => ticket.waiterId === reservedFor)
      : this.tickets.find((ticket) => !ticket.pending);
    next?.wake();
  };
}

export class WaitTicket {
  pending = false;
  private resolver: (() => void) | undefined;

  constructor(
    readonly waiterId: string,
    private readonly onLeave: (ticket: WaitTicket) => void,
  ) {}

  wake(): void {
    this.pending = true;
    this.resolver?.();
  }

  /** True (once) if a release was announced since the last call. */
  consume(): boolean {
    const was = this.pending;
    this.pending = false;
    return was;
  }

  /** Lets `interruptibleSleep` end early on a wake-up. */
  readonly sleepHook = {
    onWake: (resolve: () => void) => {
      if (this.pending) queueMicrotask(resolve);
      this.resolver = resolve;
      return () => {
        this.resolver = undefined;
      };
    },
  };

  leave(): void {
    this.onLeave(this);
  }
}

const registry = new WeakMap<object, Map<string, KeyWaiters>>();

/**
 * Joins the local queue of waiters for `key`, subscribing to the backend's release notifications
 * if this is the first waiter. Resolves once the subscription is active (so no later release can
 * be missed), or to `undefined` if the backend cannot notify; the caller then polls.
 */
export async function joinWaiters<C extends BackendCapabilities>(
  backend: LockBackend<C>,
  key: string,
  waiterId: string,
): Promise<WaitTicket | undefined> {
  const subscribe = backend.subscribe?.bind(backend);
  if (!subscribe) return undefined;
  let byKey = registry.get(backend);
  if (!byKey) {
    byKey = new Map();
    registry.set(backend, byKey);
  }
  let waiters = byKey.get(key);
  if (!waiters) {
    const created = new KeyWaiters();
    created.subscribed = subscribe(key, created.notify).then(
      (unsubscribe) => {
        created.unsubscribe = unsubscribe;
        // Everyone may have left while the subscription was being made.
        if (created.tickets.length === 0) release(created);
        return true;
      },
      () => false, // a failed subscription only costs promptness: polling still finds the release
    );
    byKey.set(key, created);
    waiters = created;
  }
  const group = waiters;
  const ticket = new WaitTicket(waiterId, (leaving) => {
    const index = group.tickets.indexOf(leaving);
    if (index === -1) return;
    group.tickets.splice(index, 1);
    // Pass an unused wake-up on. (One reserved for this waiter lapses on the backend by itself.)
    if (leaving.pending) group.notify();
    if (group.tickets.length === 0) {
      if (byKey.get(key) === group) byKey.delete(key);
      release(group);
    }
  });
  group.tickets.push(ticket);
  if (!(await group.subscribed)) {
    ticket.leave();
    return undefined;
  }
  return ticket;
}

function release(group: KeyWaiters): void {
  const unsubscribe = group.unsubscribe;
  group.unsubscribe = undefined;
  unsubscribe?.();
}
