import type {
  DriverAcquireInput,
  DriverFenceReading,
  DriverListInput,
  DriverListPage,
} from "./driver";
import type { Logger } from "./logger";
import type { Clock } from "./time";
import type {
  AcquireResult,
  BackendCapabilities,
  LockBackend,
  ReleaseListener,
  Unsubscribe,
  WaiterInfo,
} from "./types";

/**
 * What core's engine (retries, hand-off, wake-ups) needs of a backend, beyond the public
 * operations: attempts that carry a waiter, whether a release reached waiters, shared wake-up
 * subscriptions and queue withdrawals. A backend built with `defineBackend` registers its view;
 * any other `LockBackend` gets one made of its public methods (no queue, no hand-off hints).
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
  /** The clock a client-authority backend judges expiry by, if not the system wall clock. */
  readonly clock?: Clock;
  /** The backend's logger (its driver's), the default for locks taken on it. */
  readonly logger?: Logger;
}

/** What `forceRelease` did: whether a live lock was deleted, and what it was. */
export interface ForcedRelease {
  readonly released: boolean;
  /** The evicted lock's fence (fencing backends), for the operator's log. */
  readonly fence?: string;
  /** A hash of the evicted holder's lockId, as lookups show it (never the lockId itself). */
  readonly lockIdHash?: string;
}

const views = new WeakMap<object, EngineView>();

/** Called by `defineBackend`: the engine reaches the driver through this view. */
export function registerEngineView<C extends BackendCapabilities>(
  backend: LockBackend<C>,
  view: EngineView<C>,
): void {
  views.set(backend, view as unknown as EngineView);
}

/** The engine's view of a backend (one per backend object, so per-key state is shared). */
export function engineView<C extends BackendCapabilities>(backend: LockBackend<C>): EngineView<C> {
  let view = views.get(backend);
  if (!view) {
    view = publicView(backend as unknown as LockBackend);
    views.set(backend, view);
  }
  return view as unknown as EngineView<C>;
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
