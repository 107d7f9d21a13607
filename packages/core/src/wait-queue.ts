import { callQuietly, inBackground } from "./background";
import type { LeaseSpace } from "./lease-space";
import { raceDeadline } from "./shared-timeout";
import { monotonicClock } from "./time";
import type { BackendCapabilities, Unsubscribe } from "./types";

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
  /** True once the backend subscription is confirmed (and until it is dropped). */
  active = false;
  lingerTimer: ReturnType<typeof setTimeout> | undefined;
  /** Wakes the next waiter here if a reservation for another waiter lapses unused. */
  backstopTimer: ReturnType<typeof setTimeout> | undefined;
  /** Ends the background task that stands for this group's linger (see `linger`). */
  endLinger: (() => void) | undefined;

  constructor(
    /** Whose background work a lingering subscription is (the backend's engine view). */
    readonly owner: object,
    readonly lingerMs: number,
  ) {}

  /**
   * A release for a named waiter wakes only that waiter (if it is here); otherwise the oldest.
   * A key reserved for another waiter is free again once the reservation lapses, and nobody is
   * told: if that waiter died or gave up, the oldest waiter here must try by then, or every
   * waiter would sleep out its backoff (seconds) in front of a free key.
   */
  notify = (reservedFor?: string, reservedForMs?: number): void => {
    clearTimeout(this.backstopTimer);
    this.backstopTimer = undefined;
    if (!reservedFor) {
      this.tickets.find((ticket) => !ticket.pending)?.wake();
      return;
    }
    this.tickets.find((ticket) => ticket.waiterId === reservedFor)?.wake();
    if (reservedForMs === undefined) return;
    this.backstopTimer = setTimeout(() => {
      this.backstopTimer = undefined;
      this.tickets.find((ticket) => !ticket.pending && ticket.waiterId !== reservedFor)?.wake();
    }, reservedForMs + RESERVATION_SLACK_MS);
    this.backstopTimer.unref?.();
  };
}

/** How long after a reservation lapses the backstop wake-up comes: clock granularity and a hop. */
const RESERVATION_SLACK_MS = 5;

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

/** Per lease space (a backend's locks, or its semaphores), per key. */
const registry = new WeakMap<object, Map<string, KeyWaiters>>();

function groupsOf(space: object): Map<string, KeyWaiters> {
  let byKey = registry.get(space);
  if (!byKey) {
    byKey = new Map();
    registry.set(space, byKey);
  }
  return byKey;
}

function addTicket(
  byKey: Map<string, KeyWaiters>,
  key: string,
  group: KeyWaiters,
  waiterId: string,
) {
  clearTimeout(group.lingerTimer);
  endLinger(group);
  const ticket = new WaitTicket(waiterId, (leaving) => {
    const index = group.tickets.indexOf(leaving);
    if (index === -1) return;
    group.tickets.splice(index, 1);
    // Pass an unused wake-up on. (One reserved for this waiter lapses on the backend by itself.)
    if (leaving.pending) group.notify();
    if (group.tickets.length === 0) linger(byKey, key, group);
  });
  group.tickets.push(ticket);
  return ticket;
}

/**
 * Keeps an idle group subscribed for the backend's linger time (a hot key's next caller
 * then joins before its first attempt, with no subscribe round trip), then drops it.
 */
function linger(byKey: Map<string, KeyWaiters>, key: string, group: KeyWaiters): void {
  clearTimeout(group.lingerTimer);
  const drop = () => {
    if (group.tickets.length > 0) return;
    if (byKey.get(key) === group) byKey.delete(key);
    release(group);
  };
  if (group.lingerMs <= 0) {
    drop();
    return;
  }
  // A lingering subscription is background work: it unsubscribes later, on the user's client.
  if (!group.endLinger) {
    inBackground(group.owner, new Promise<void>((resolve) => (group.endLinger = resolve)));
  }
  group.lingerTimer = setTimeout(drop, group.lingerMs);
  group.lingerTimer.unref?.();
}

/** True when callers in this process are waiting for `key` (so a release of it is contended). */
export function hasLocalWaiters<C extends BackendCapabilities>(
  space: LeaseSpace<C>,
  key: string,
): boolean {
  return (registry.get(space)?.get(key)?.tickets.length ?? 0) > 0;
}

/**
 * Joins the local queue for `key` only if it is already subscribed: free (no I/O), and done before
 * the first attempt, so a release right after that attempt is heard without a second attempt.
 */
export function joinActiveWaiters<C extends BackendCapabilities>(
  space: LeaseSpace<C>,
  key: string,
  waiterId: string,
): WaitTicket | undefined {
  const byKey = registry.get(space);
  const group = byKey?.get(key);
  if (!byKey || !group?.active) return undefined;
  return addTicket(byKey, key, group, waiterId);
}

/**
 * Joins the local queue of waiters for `key`, subscribing to the backend's release notifications
 * if no subscription exists. Resolves once the subscription is active (so no later release can
 * be missed), or to `undefined` if the backend cannot notify; the caller then polls.
 */
export async function joinWaiters<C extends BackendCapabilities>(
  space: LeaseSpace<C>,
  key: string,
  waiterId: string,
  bounds: { maxWaitMs?: number; signal?: AbortSignal } = {},
): Promise<WaitTicket | undefined> {
  const subscribe = space.subscribe?.bind(space);
  if (!subscribe) return undefined;
  const byKey = groupsOf(space);
  let group = byKey.get(key);
  if (!group) {
    const created = new KeyWaiters(space.view, space.lingerMs);
    // Through a promise: a backend's subscribe that throws at once fails like one that rejects.
    created.subscribed = new Promise<Unsubscribe>((resolve) =>
      resolve(subscribe(key, created.notify)),
    ).then(
      (unsubscribe) => {
        created.unsubscribe = unsubscribe;
        created.active = true;
        // Everyone may have left while the subscription was being made.
        if (created.tickets.length === 0) linger(byKey, key, created);
        return true;
      },
      () => {
        // A failed subscription only costs promptness: polling still finds the release.
        if (byKey.get(key) === created) byKey.delete(key);
        return false;
      },
    );
    byKey.set(key, created);
    group = created;
  }
  const ticket = addTicket(byKey, key, group, waiterId);
  if (!(await settledWithin(group.subscribed, bounds))) {
    ticket.leave(); // no subscription (yet): the caller polls, which is always correct
    return undefined;
  }
  return ticket;
}

/** The subscription's outcome, or false if it takes longer than the caller can wait. */
async function settledWithin(
  subscribed: Promise<boolean> | undefined,
  { maxWaitMs, signal }: { maxWaitMs?: number; signal?: AbortSignal },
): Promise<boolean> {
  if (!subscribed) return false;
  if (maxWaitMs === undefined && !signal) return subscribed;
  const deadline = monotonicClock() + (maxWaitMs ?? Number.POSITIVE_INFINITY);
  const outcome = await raceDeadline(subscribed, deadline, signal);
  return outcome.by === "value" && outcome.value;
}

function release(group: KeyWaiters): void {
  group.active = false;
  clearTimeout(group.backstopTimer);
  const unsubscribe = group.unsubscribe;
  group.unsubscribe = undefined;
  // Usually run by the linger timer: a backend whose unsubscribe throws or rejects (its client
  // closed meanwhile) must not end the process.
  callQuietly(unsubscribe);
  endLinger(group);
}

function endLinger(group: KeyWaiters): void {
  const end = group.endLinger;
  group.endLinger = undefined;
  end?.();
}
