import { keyTag } from "@syncguard/core/driver";
import { layoutForTag } from "./keys";

/**
 * Redis names for one semaphore (ADR-039). A semaphore key is tagged apart from the lock of the
 * same key (its tag is the hash of the key in a namespace of its own), and all its names share
 * one hash tag: one Cluster slot per semaphore key, like a lock. The fence counter is its route's,
 * as for locks (a counter that only goes up: fences strictly increasing, never reused).
 */
export interface PermitLayout {
  /** Sorted set: lockId -> expiresAtMs of each permit. */
  readonly permits: string;
  /** Hash: lockId -> fence, and 'key' and 'permits' as the live holders agreed. */
  readonly holders: string;
  /** Sorted set: 'waiterId:budgetMs' -> arrival, server ms (as a lock's queue). */
  readonly queue: string;
  readonly fence: string;
  /** Where a released permit is announced (what core's watch listens to). */
  readonly channel: string;
}

/**
 * Semaphore keys are tagged in this namespace. A lock taken on a key spelled like one of these
 * shares only the announcement channel with the semaphore (its record has another name): at
 * worst a spurious wake-up, after which waiters simply try again.
 */
const SEMAPHORE_NAMESPACE = "\u0000semaphore\u0000";

/** The key whose lock channel carries a semaphore's releases (the driver's watch uses it). */
export const semaphoreWatchKey = (key: string): string => `${SEMAPHORE_NAMESPACE}${key}`;

export function permitLayout(prefix: string, key: string): PermitLayout {
  const tag = keyTag(semaphoreWatchKey(key));
  const lock = layoutForTag(prefix, tag);
  const slot = lock.record.slice(0, lock.record.length - `lock:${tag}`.length);
  return {
    permits: `${slot}permits:${tag}`,
    holders: `${slot}permit-holders:${tag}`,
    queue: `${slot}permit-queue:${tag}`,
    fence: lock.fence,
    channel: lock.channel,
  };
}
