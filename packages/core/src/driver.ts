import type { LockError } from "./errors";
import type { Logger } from "./logger";
import type { Clock } from "./time";
import type {
  BackendCapabilities,
  Fence,
  HolderInfo,
  ReleaseListener,
  Unsubscribe,
  WaiterInfo,
} from "./types";

/**
 * The narrow interface a store implements (ADR-022). Core's `defineBackend(driver)` turns it into
 * a `LockBackend`: core validates every input before the driver sees it, checks and honours the
 * caller's signal, generates lockIds, shapes results, never lets a lockId out of a lookup, maps
 * errors, and reference-counts wake-up subscriptions. A driver only stores and reads locks, each
 * operation atomic in its store.
 */
export interface LockDriver<C extends BackendCapabilities = BackendCapabilities> {
  readonly capabilities: C;
  /**
   * One attempt to store a lock for `lockId`, atomically: take the key if no live lock holds it.
   * If `lockId` already holds it, report it acquired, unchanged (a retry of an attempt whose
   * outcome was unknown). Fences: strictly greater than any issued for the key, never reused.
   */
  acquire(input: DriverAcquireInput): Promise<DriverAttempt>;
  /** Deletes the lock if `lockId` holds it (live). `contended`: waiters were told of it. */
  release(input: DriverLockIdInput): Promise<DriverRelease>;
  /** Sets expiry to now + ttlMs if `lockId` holds a live lock; undefined otherwise. */
  extend(input: DriverExtendInput): Promise<{ readonly expiresAtMs: number } | undefined>;
  /** The live lock of a key, or undefined. A pure read. */
  readByKey(input: DriverKeyInput): Promise<StoredLock | undefined>;
  /** The live lock `lockId` holds, or undefined. A pure read. */
  readByLockId(input: DriverLockIdInput): Promise<StoredLock | undefined>;
  /** Optional, when isLocked does more than `readByKey` (cleanup of long-expired records). */
  isLocked?(input: DriverKeyInput): Promise<boolean>;
  /**
   * Optional wake-ups: calls `listener` when the lock on `key` may have become free. Resolves once
   * active, so an attempt made afterwards cannot miss a release. Core calls it at most once per
   * key at a time and shares it among all its waiters.
   */
  watch?(key: string, listener: ReleaseListener): Promise<Unsubscribe>;
  /** Optional, with a wait queue: removes a waiter that gave up. */
  withdraw?(input: { readonly key: string; readonly waiter: WaiterInfo }): Promise<void>;
  /**
   * How long core may keep a key's watch after its last waiter left (default 0). Set it only where
   * an idle watch costs nothing and never blocks the client's shutdown.
   */
  readonly watchLingerMs?: number;
  /**
   * Optional, for operators (ADR-026): one page of the live locks whose key starts with `prefix`,
   * in the store's own stable order. `cursor` is what the previous page returned; a page without
   * one is the last. A page may hold fewer than `limit` locks and still have a cursor (the store
   * bounds the work of one call). Return only what `ListedLock` names: never a lockId.
   */
  list?(input: DriverListInput): Promise<DriverListPage>;
  /**
   * Optional, for operators (ADR-026): the fence counter the key's next fence will be drawn from
   * (absent when none was ever issued). A pure read; `shared` when the counter serves other keys
   * too (its value is then at least the key's last fence).
   */
  readFence?(input: DriverKeyInput): Promise<DriverFenceReading>;
  /**
   * Optional: counting semaphores (ADR-039). A driver that has it stores permits: leases of a
   * semaphore key, at most `permits` live at once, each with its own lockId and a fence drawn
   * from the semaphore key's own counter. Semaphore keys are a namespace of their own: a
   * semaphore "k" and a lock "k" never meet.
   */
  readonly permits?: PermitDriver;
  /**
   * Where the driver writes its warnings (the backend's `logger` option). Core's `lock()` and
   * `acquire()` use it too on this backend, unless their own options name a logger.
   */
  readonly logger?: Logger;
  /**
   * The clock a client-authority driver judges expiry by, when it is not the system's wall clock
   * (a test clock given to the backend). A lock's lease compares its expiry with this clock.
   */
  readonly clock?: Clock;
  /** Turns an error the store's client threw into a LockError (unknown ones become Internal). */
  toLockError?(error: unknown, operation: string): LockError;
  /** Releases what the driver opened itself (never the caller's client). */
  close?(): Promise<void>;
}

/** Validated input: the key is normalized, `tag` is `keyTag(key)`, the lockId ends in it. */
export interface DriverAcquireInput {
  readonly key: string;
  readonly tag: string;
  readonly ttlMs: number;
  readonly lockId: string;
  /** Set by core's retry engine for backends with a wait queue (see `WaiterInfo`). */
  readonly waiter?: WaiterInfo;
  readonly signal?: AbortSignal;
}

export interface DriverLockIdInput {
  readonly lockId: string;
  readonly signal?: AbortSignal;
}

export interface DriverExtendInput extends DriverLockIdInput {
  readonly ttlMs: number;
}

export interface DriverKeyInput {
  /** The normalized key. */
  readonly key: string;
  readonly signal?: AbortSignal;
}

export type DriverAttempt =
  | { readonly acquired: true; readonly expiresAtMs: number; readonly fence?: Fence }
  | { readonly acquired: false; readonly holder?: HolderInfo };

export interface DriverRelease {
  readonly released: boolean;
  readonly contended?: boolean;
}

/** A live lock as the store holds it. Core never shows its lockId to anyone but its holder. */
export interface StoredLock {
  readonly key: string;
  readonly lockId: string;
  readonly acquiredAtMs: number;
  readonly expiresAtMs: number;
  readonly fence?: Fence;
}

/** Validated input of `list`: `prefix` is NFC-normalized ("" for all), `limit` 1..1000. */
export interface DriverListInput {
  readonly prefix: string;
  readonly limit: number;
  /** The opaque cursor a previous page returned (a string of at most 8192 characters). */
  readonly cursor?: string;
  readonly signal?: AbortSignal;
}

/** A live lock as a listing shows it: no lockId. */
export interface ListedLock {
  readonly key: string;
  readonly acquiredAtMs: number;
  readonly expiresAtMs: number;
  readonly fence?: Fence;
}

export interface DriverListPage {
  readonly locks: readonly ListedLock[];
  /** Where the next page starts; absent on the last page. */
  readonly cursor?: string;
}

export interface DriverFenceReading {
  /** The counter's value (15 digits); absent when it was never written. */
  readonly fence?: Fence;
  /** True when the counter is shared by several keys (Redis: one per route). */
  readonly shared: boolean;
}

/**
 * The permit operations of a driver (ADR-039), each atomic in its store. Inputs are validated by
 * core: the key is normalized, lockIds are core's, `permits` is an integer from 1 to
 * `MAX_PERMITS`. Expiry works as for locks: a permit past its expiry (tolerance included) is
 * not live, holds no slot, and its holder can neither release nor extend it.
 */
export interface PermitDriver {
  /**
   * One attempt to take a permit for `lockId`, atomically: if `lockId` already holds a live
   * permit of `key`, report it acquired, unchanged; else if fewer than `permits` live permits
   * exist, store one with a fence strictly greater than any issued for the semaphore key (never
   * reused); else report it not acquired, with the live permit that expires first as `holder`.
   * If live permits exist and were taken with a different `permits`, throw
   * `LockError("InvalidArgument")` (`permitsMismatchError`): the live holders' value stands.
   */
  acquire(input: DriverPermitInput): Promise<DriverAttempt>;
  /** Deletes the permit if `lockId` holds a live one of `key`. `contended`: waiters were told. */
  release(input: DriverPermitIdInput): Promise<DriverRelease>;
  /** Sets the permit's expiry to now + ttlMs if `lockId` holds a live one; undefined otherwise. */
  extend(input: DriverPermitExtendInput): Promise<{ readonly expiresAtMs: number } | undefined>;
  /** Optional wake-ups: calls `listener` when a permit of `key` may have become free. */
  watch?(key: string, listener: ReleaseListener): Promise<Unsubscribe>;
  /**
   * Optional, with a wait queue for permits: removes a waiter that gave up from the queue of
   * semaphore `key`; a permit reserved for it goes to the next waiter (as `LockDriver.withdraw`).
   */
  withdraw?(input: { readonly key: string; readonly waiter: WaiterInfo }): Promise<void>;
  /**
   * Optional, for operators (ADR-041): the live permits of `key`, each with its lockId, and the
   * number of permits their holders agreed on; undefined when no permit of `key` is live. A pure
   * read, consistent in itself (one script, statement or document read). Core uses the lockIds
   * only to release the one permit an operator names; it never shows them to anyone.
   */
  read?(input: DriverKeyInput): Promise<DriverSemaphoreReading | undefined>;
  /**
   * Optional, for operators (ADR-041): one page of the live permits of the semaphore keys that
   * start with `prefix`, following `LockDriver.list`'s paging contract (the store's own stable
   * order, an opaque cursor, a page that may be short and still have one). Each permit comes
   * with its lockId: core turns it into the holder id a listing shows and drops it; no lockId
   * leaves core.
   */
  list?(input: DriverListInput): Promise<DriverPermitListPage>;
}

/** A live permit as the store holds it (the read of `PermitDriver.read` and `list`). */
export interface StoredPermit {
  readonly key: string;
  readonly lockId: string;
  /** When the permit was taken; absent where the store does not keep it (Redis). */
  readonly acquiredAtMs?: number;
  /** When the permit expires, by the store's time authority. */
  readonly expiresAtMs: number;
  /** Its fence, from the semaphore key's counter. */
  readonly fence?: Fence;
  /** The number of permits its holders agreed on. */
  readonly permits: number;
}

/** The live permits of one semaphore key. */
export interface DriverSemaphoreReading {
  /** The number of permits the live holders agreed on. */
  readonly permits: number;
  readonly holders: readonly StoredPermit[];
}

export interface DriverPermitListPage {
  readonly permits: readonly StoredPermit[];
  /** Where the next page starts; absent on the last page. */
  readonly cursor?: string;
}

/** One permit attempt: the lock attempt's input and the semaphore's number of permits. */
export interface DriverPermitInput extends DriverAcquireInput {
  readonly permits: number;
}

/** A permit is named by its semaphore key and its lockId. */
export interface DriverPermitIdInput {
  readonly key: string;
  readonly lockId: string;
  readonly signal?: AbortSignal;
}

export interface DriverPermitExtendInput extends DriverPermitIdInput {
  readonly ttlMs: number;
}
