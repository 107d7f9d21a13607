/** How a backend decides when a lock has expired. */
export type TimeAuthority = "server" | "client";

/** What a backend declares about itself. `supportsFencing: true` makes `fence` required in results. */
export interface BackendCapabilities {
  /** A short name, e.g. "redis", "firestore", "memory". */
  readonly backend: string;
  /** True when every successful acquire returns a `fence` (all shipped backends). */
  readonly supportsFencing: boolean;
  /** Whose clock decides expiry: the store server's, or the clients' (Firestore, memory). */
  readonly timeAuthority: TimeAuthority;
}

/** The capabilities of every backend shipped by SyncGuard. */
export interface FencingCapabilities extends BackendCapabilities {
  /** Always true: every successful acquire returns a `fence`. */
  readonly supportsFencing: true;
}

/** A fence: 15 decimal digits, zero-padded, strictly increasing per key. Compare as strings. */
export type Fence = string;

/** Present as `fence: string` when the backend fences, absent otherwise. */
export type FenceField<C extends BackendCapabilities> = C["supportsFencing"] extends true
  ? { readonly fence: Fence }
  : { readonly fence?: Fence };

export interface KeyOptions {
  /** Any non-empty string; normalized to Unicode NFC. */
  key: string;
  signal?: AbortSignal;
}

export interface AcquireOptions extends KeyOptions {
  /** Lease length in milliseconds (positive integer). */
  ttlMs: number;
  /**
   * The lockId to take the lock under, from `generateLockId(key)`; the backend makes one when it
   * is absent. Passing the lockId of an attempt whose outcome is unknown (a timeout, a lost reply)
   * makes the retry idempotent: if that attempt did take the lock, the key is held by this lockId
   * and the backend reports it as acquired, unchanged (same fence and expiry) instead of turning
   * its own owner away. Core's retry engine uses one lockId for all attempts of an acquisition.
   */
  lockId?: string;
}

/**
 * Core's retry engine gives each acquisition a waiter; a driver with a wait queue enqueues it on
 * contention and, on release, reserves the key for the oldest live waiter (see
 * specs/interface.md, Fair handoff).
 */
export interface WaiterInfo {
  /** Random, unique per acquisition. */
  readonly id: string;
  /** How much longer this caller will wait, in ms. */
  readonly timeoutMs: number;
  /** The acquisition's whole wait budget in ms (its `timeoutMs`), the same on every attempt. */
  readonly budgetMs: number;
  /**
   * True on the acquisition's first attempt: no queue can hold this waiter yet, so a backend can
   * skip dequeuing it on success. Absent or false: it may be queued.
   */
  readonly firstAttempt?: boolean;
}

export interface ReleaseOptions {
  lockId: string;
  signal?: AbortSignal;
}

export interface ExtendOptions extends ReleaseOptions {
  /** New lease length, counted from now by the backend's clock (replaces, does not add). */
  ttlMs: number;
}

export type LookupOptions =
  | { key: string; lockId?: undefined; signal?: AbortSignal }
  | { lockId: string; key?: undefined; signal?: AbortSignal };

export type AcquireOk<C extends BackendCapabilities = FencingCapabilities> = {
  readonly ok: true;
  /** The holder's secret: needed to release or extend. */
  readonly lockId: string;
  /** Expiry by the backend's time authority (ms since epoch). */
  readonly expiresAtMs: number;
} & FenceField<C>;

/** What a failed attempt learned about the current holder; never its lockId. */
export interface HolderInfo {
  readonly fence?: Fence;
  /** Milliseconds until the holder's lock stops being live (tolerance included), by the backend clock. */
  readonly remainingMs?: number;
}

export interface AcquireLocked {
  readonly ok: false;
  readonly reason: "locked";
  readonly holder?: HolderInfo;
}

/** One attempt's outcome: the lock (`ok: true`), or `{ ok: false, reason: "locked" }`. */
export type AcquireResult<C extends BackendCapabilities = FencingCapabilities> =
  | AcquireOk<C>
  | AcquireLocked;

/** What a release did. */
export interface ReleaseResult {
  /** True if this lockId held the live lock and it was deleted; false if it was already gone. */
  readonly ok: boolean;
}

/** The new expiry (`ok: true`), or `{ ok: false }` when the lock is no longer held: it was lost. */
export type ExtendResult =
  | { readonly ok: true; readonly expiresAtMs: number }
  | { readonly ok: false };

/**
 * What a lookup reveals about a live lock. The lockId is never revealed (it would let anyone
 * release the lock); `lockIdHash` lets logs correlate holders without exposing it.
 */
export type LockInfo<C extends BackendCapabilities = FencingCapabilities> = {
  /** The normalized key. */
  readonly key: string;
  /** First 16 hex characters of SHA-256(lockId). */
  readonly lockIdHash: string;
  readonly acquiredAtMs: number;
  readonly expiresAtMs: number;
} & FenceField<C>;

/**
 * Called on a release. `reservedFor` names the waiter the backend handed the key to, if any, and
 * `reservedForMs` how long the key stays reserved for it: if that waiter does not take the key in
 * time (it died or gave up), the key is free again and nobody is told, so other waiters must try
 * again by then.
 */
export type ReleaseListener = (reservedFor?: string, reservedForMs?: number) => void;

/** Stops a subscription. Idempotent. */
export type Unsubscribe = () => void;

/**
 * The contract every backend implements (see specs/interface.md). Each method validates its input
 * before any I/O, is atomic, and reports contention or a missing lock as a result, not an error.
 */
export interface LockBackend<C extends BackendCapabilities = FencingCapabilities> {
  /** What the backend declares about itself. */
  readonly capabilities: Readonly<C>;
  /** One attempt: take the key if it is free (no retry). */
  acquire(options: AcquireOptions): Promise<AcquireResult<C>>;
  /** Deletes the lock if `lockId` still holds it and it is live. */
  release(options: ReleaseOptions): Promise<ReleaseResult>;
  /** Sets expiry to now + ttlMs if `lockId` still holds a live lock. Never resurrects. */
  extend(options: ExtendOptions): Promise<ExtendResult>;
  /** A pure read unless the backend was configured with `cleanupInIsLocked`. */
  isLocked(options: KeyOptions): Promise<boolean>;
  /** The live lock for a key or a lockId, or null. */
  lookup(options: LookupOptions): Promise<LockInfo<C> | null>;
  /**
   * Optional wake-up channel: calls `listener` when the lock on `key` may have become free, with
   * the id of the waiter the key was reserved for when the backend queues waiters. Resolves once
   * the subscription is active, so an attempt made afterwards cannot miss a release.
   */
  subscribe?(key: string, listener: ReleaseListener): Promise<Unsubscribe>;
}
