import type {
  DriverAcquireInput,
  DriverFenceReading,
  DriverListInput,
  DriverListPage,
  DriverPermitInput,
} from "./driver";
import type { Logger } from "./logger";
import type { Clock } from "./time";
import type {
  AcquireResult,
  BackendCapabilities,
  ExtendResult,
  Fence,
  LockBackend,
  ReleaseListener,
  Unsubscribe,
  WaiterInfo,
} from "./types";

/**
 * What core's engine (retries, hand-off, wake-ups) needs of a backend, beyond the public
 * operations: attempts that carry a waiter, whether a release reached waiters, shared wake-up
 * subscriptions and queue withdrawals. A backend built with `defineBackend` carries its view;
 * any other `LockBackend` gets one made of its public methods (no queue, no hand-off hints).
 *
 * The carried view is a protocol between copies of `@syncguard/core` (ADR-029): the copy that
 * built the backend makes it, and any copy, older or newer, may drive it. Version 1 is exactly
 * the members below. Input is validated by the caller (normalized key, its tag, a lockId made for
 * the key); errors are LockErrors, recognised by their registered brand. Later versions only add
 * optional members, which a reader uses when present; a change a version-1 reader could
 * misread goes under a new key (`ENGINE_VIEW_KEY` with `@2`), which a backend may carry beside
 * this one.
 */
export interface EngineView<C extends BackendCapabilities = BackendCapabilities> {
  readonly capabilities: C;
  /** One attempt with validated input; errors are LockErrors. */
  attempt(input: DriverAcquireInput): Promise<AcquireResult<C>>;
  /** Releases; `contended` when waiters were told (for the releaser's yield window). */
  release(lockId: string): Promise<{ readonly ok: boolean; readonly contended: boolean }>;
  subscribe?(key: string, listener: ReleaseListener): Promise<Unsubscribe>;
  withdraw?(key: string, waiter: WaiterInfo): Promise<void>;
  /**
   * Deletes the live lock of `key` whoever holds it (backends built with `defineBackend`); a
   * backend written against `LockBackend` directly cannot name its holder's lockId.
   */
  forceRelease?(key: string, signal?: AbortSignal): Promise<ForcedRelease>;
  /** One page of live locks (drivers with `list`); input validated, no lockId in the result. */
  list?(input: DriverListInput): Promise<DriverListPage>;
  /** The fence counter of a key (drivers with `readFence`). */
  readFence?(key: string, signal?: AbortSignal): Promise<DriverFenceReading>;
  /** How long an idle wake-up subscription may be kept for the next waiter. */
  readonly lingerMs: number;
  /** Counting semaphores (drivers with `permits`, ADR-039); added in version 1 as optional. */
  readonly permits?: PermitView<C>;
  /** The clock a client-authority backend judges expiry by, if not the system wall clock. */
  readonly clock?: Clock;
  /** The backend's logger (its driver's), the default for locks taken on it. */
  readonly logger?: Logger;
}

/** What the engine needs of a backend's permits: as for locks, but a permit is named by its key too. */
export interface PermitView<C extends BackendCapabilities = BackendCapabilities> {
  /** One permit attempt with validated input; errors are LockErrors. */
  attempt(input: DriverPermitInput): Promise<AcquireResult<C>>;
  /** Releases; `contended` when waiters were told. */
  release(
    key: string,
    lockId: string,
  ): Promise<{ readonly ok: boolean; readonly contended: boolean }>;
  /** Renews to now + ttlMs; `{ ok: false }` when the permit is no longer held. */
  extend(key: string, lockId: string, ttlMs: number): Promise<ExtendResult>;
  subscribe?(key: string, listener: ReleaseListener): Promise<Unsubscribe>;
  /** Takes a permit waiter that gave up out of the store's queue (added in version 1 as optional). */
  withdraw?(key: string, waiter: WaiterInfo): Promise<void>;
  /** The live permits of `key` with holder ids, never lockIds (drivers with `permits.read`). */
  read?(key: string, signal?: AbortSignal): Promise<SemaphoreReading | undefined>;
  /**
   * Releases the one live permit of `key` the target names, whoever holds it (drivers with
   * `permits.read`); `released: false` when no live permit matches.
   */
  forceRelease?(key: string, target: PermitTarget, signal?: AbortSignal): Promise<ForcedRelease>;
  /** One page of live permits with holder ids (drivers with `permits.list`); input validated. */
  list?(input: DriverListInput): Promise<PermitPage>;
}

/** A live permit as operators see it: a holder id (a hash of its lockId), never the lockId. */
export interface PermitSummary {
  /** The semaphore key. */
  readonly key: string;
  /** An opaque id of the holder: the first 16 hex digits of SHA-256(lockId), as `leader()` shows. */
  readonly holderId: string;
  /** The permit's fence (on fencing stores). */
  readonly fence?: Fence;
  /** When the permit was taken; absent where the store does not keep it (Redis). */
  readonly acquiredAtMs?: number;
  /** When the permit expires by the store's time authority (live until then + the tolerance). */
  readonly expiresAtMs: number;
  /** The number of permits the semaphore's live holders agreed on. */
  readonly permits: number;
}

/** The live permits of one semaphore key, as operators see them. */
export interface SemaphoreReading {
  readonly permits: number;
  /** Live permits, by fence (oldest first). */
  readonly holders: readonly PermitSummary[];
}

/** One page of a permit listing. */
export interface PermitPage {
  readonly permits: readonly PermitSummary[];
  readonly cursor?: string;
}

/** Which permit to force out: by its fence, or by its holder id. Never by lockId. */
export type PermitTarget = { readonly fence: Fence } | { readonly holderId: string };

/** What `forceRelease` did: whether a live lock was deleted, and what it was. */
export interface ForcedRelease {
  /** True if a live lock was deleted; false if the key was free (or changed hands meanwhile). */
  readonly released: boolean;
  /** The evicted lock's fence (fencing backends), for the operator's log. */
  readonly fence?: string;
  /** A hash of the evicted holder's lockId, as lookups show it (never the lockId itself). */
  readonly lockIdHash?: string;
}

/**
 * The registered key a backend carries its engine view under (protocol version 1). Registered
 * (`Symbol.for`), so every copy of core finds it; non-enumerable on the backend, so a wrapper
 * made by spreading a backend (`{ ...backend, acquire }`) does not inherit a view that would
 * bypass its own methods.
 */
export const ENGINE_VIEW_KEY: unique symbol = Symbol.for("@syncguard/core/engine-view@1");

/** Views made of public methods, one per backend object (per copy of core: nothing to share). */
const publicViews = new WeakMap<object, EngineView>();

/** Called by `defineBackend`: the engine, in this or any other copy of core, reaches the driver through this view. */
export function carryEngineView<C extends BackendCapabilities>(
  backend: LockBackend<C>,
  view: EngineView<C>,
): void {
  Object.defineProperty(backend, ENGINE_VIEW_KEY, {
    value: Object.freeze({ ...view }),
    enumerable: false,
    writable: false,
    configurable: false,
  });
}

/**
 * The engine's view of a backend: the one it carries, else one of its public methods (made once
 * per backend object, so per-key state is shared).
 */
export function engineView<C extends BackendCapabilities>(backend: LockBackend<C>): EngineView<C> {
  const carried = (backend as unknown as { [ENGINE_VIEW_KEY]?: unknown })[ENGINE_VIEW_KEY];
  if (isEngineView(carried)) return carried as unknown as EngineView<C>;
  let view = publicViews.get(backend);
  if (!view) {
    view = publicView(backend as unknown as LockBackend);
    publicViews.set(backend, view);
  }
  return view as unknown as EngineView<C>;
}

/** The members a version-1 reader relies on (optional ones are checked where they are used). */
function isEngineView(value: unknown): value is EngineView {
  if (typeof value !== "object" || value === null) return false;
  const view = value as Partial<EngineView>;
  return (
    typeof view.attempt === "function" &&
    typeof view.release === "function" &&
    typeof view.capabilities === "object" &&
    view.capabilities !== null &&
    typeof view.lingerMs === "number"
  );
}

/** A backend written against `LockBackend` directly: its public methods are all there is. */
function publicView(backend: LockBackend): EngineView {
  const subscribe = backend.subscribe?.bind(backend);
  return {
    capabilities: backend.capabilities,
    attempt: ({ key, ttlMs, lockId, signal }) =>
      backend.acquire({ key, ttlMs, lockId, ...(signal ? { signal } : {}) }),
    release: async (lockId) => ({ ok: (await backend.release({ lockId })).ok, contended: false }),
    ...(subscribe ? { subscribe } : {}),
    lingerMs: 0,
  };
}
