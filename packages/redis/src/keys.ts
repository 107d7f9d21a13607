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
  /** Lock record or hand-off reservation (string, see record.ts). */
  readonly lock: string;
  /** Fence counter (integer, never deleted, no TTL). */
  readonly fence: string;
  /** Release notifications for this key. */
  readonly channel: string;
  /** Prefix of reverse-index keys in this slot; append a lockId. */
  readonly indexPrefix: string;
  /** Waiters queued for this key (sorted set: waiter id -> give-up time). */
  readonly queue: string;
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
  };
}

export interface LockIdLayout {
  /** Reverse index: lockId -> lock record key. */
  readonly index: string;
}

/** The lockId carries the key's route, so its index is found without knowing the key. */
export function layoutForLockId(prefix: string, lockId: string): LockIdLayout {
  return { index: `${slotPrefix(prefix, lockIdRoute(lockId))}id:${lockId}` };
}
