import { keyRoute, lockIdRoute, toStorageName } from "@syncguard/core";

/** Redis keys are binary-safe: nothing to escape, only a byte budget for the readable name. */
export const STORAGE_NAME_RULES = { maxBytes: 1024 } as const;

/**
 * Everything of one lock lives under `${prefix}:{${tag}}:`, so a script that touches the lock
 * record, its index and its fence counter stays in one Redis Cluster slot.
 */
export function slotPrefix(prefix: string, route: number): string {
  return `${prefix}:{${route.toString(16).padStart(4, "0")}}:`;
}

export interface KeyLayout {
  /** The route embedded in every lockId issued for this key. */
  readonly route: number;
  /** Lock record (hash). */
  readonly lock: string;
  /** Fence counter (integer, never deleted, no TTL). */
  readonly fence: string;
  /** Release notifications for this key. */
  readonly channel: string;
  /** Prefix of reverse-index keys in this slot; append a lockId. */
  readonly indexPrefix: string;
  /** Waiters queued for this key (sorted set: waiter id -> give-up time). */
  readonly queue: string;
  /** The waiter the key is reserved for after a release (short-lived string). */
  readonly reservation: string;
}

export function layoutForKey(prefix: string, normalizedKey: string): KeyLayout {
  const route = keyRoute(normalizedKey);
  const base = slotPrefix(prefix, route);
  const name = toStorageName(normalizedKey, STORAGE_NAME_RULES);
  return {
    route,
    lock: `${base}lock:${name}`,
    fence: `${base}fence:${name}`,
    channel: `${base}released:${name}`,
    indexPrefix: `${base}id:`,
    queue: `${base}queue:${name}`,
    reservation: `${base}next:${name}`,
  };
}

export interface LockIdLayout {
  /** Reverse index: lockId -> lock record key. */
  readonly index: string;
  /** Prefix every lock record key of this slot starts with. */
  readonly lockPrefix: string;
  /** Prefix of release channels of this slot; the script appends the storage name. */
  readonly channelPrefix: string;
  /** Prefixes of wait queues and reservations of this slot (the script appends the name). */
  readonly queuePrefix: string;
  readonly reservationPrefix: string;
}

/** The lockId carries the key's route, so its index is found without knowing the key. */
export function layoutForLockId(prefix: string, lockId: string): LockIdLayout {
  const base = slotPrefix(prefix, lockIdRoute(lockId));
  return {
    index: `${base}id:${lockId}`,
    lockPrefix: `${base}lock:`,
    channelPrefix: `${base}released:`,
    queuePrefix: `${base}queue:`,
    reservationPrefix: `${base}next:`,
  };
}
