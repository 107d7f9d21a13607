import type { DriverAcquireInput } from "./driver";
import { type EngineView, engineView } from "./engine-view";
import { LockError } from "./errors";
import type {
  AcquireResult,
  BackendCapabilities,
  ExtendResult,
  LockBackend,
  ReleaseListener,
  Unsubscribe,
  WaiterInfo,
} from "./types";

/** One attempt's input; a permit attempt also names the semaphore's number of permits. */
export interface SpaceAttemptInput extends DriverAcquireInput {
  readonly permits?: number;
}

/**
 * One namespace of leases the engine drives on a backend: its locks, or its semaphores' permits
 * (a lock "k" and a semaphore "k" are different things). The retry engine, handles, leases, local
 * wait queues, yield windows and orphan releases all work through a space, so permits get every
 * guarantee locks have. Per-key state (wait queues, yield windows, held keys) is keyed by the
 * space; background work belongs to the backend's engine view, which `whenIdle` waits on.
 */
export interface LeaseSpace<C extends BackendCapabilities = BackendCapabilities> {
  readonly kind: "lock" | "semaphore";
  /** The backend's engine view: capabilities, clock, logger, and owner of background work. */
  readonly view: EngineView<C>;
  /** One attempt with validated input; errors are LockErrors. */
  attempt(input: SpaceAttemptInput): Promise<AcquireResult<C>>;
  /** Releases; `contended` when waiters were told. */
  release(
    key: string,
    lockId: string,
  ): Promise<{ readonly ok: boolean; readonly contended: boolean }>;
  /** Renews to now + ttlMs by the backend's clock; `{ ok: false }` when no longer held. */
  extend(key: string, lockId: string, ttlMs: number): Promise<ExtendResult>;
  subscribe?(key: string, listener: ReleaseListener): Promise<Unsubscribe>;
  withdraw?(key: string, waiter: WaiterInfo): Promise<void>;
  /** How long an idle wake-up subscription may be kept for the next waiter. */
  readonly lingerMs: number;
}

/** One space of each kind per backend object, per copy of core (ADR-029: local state stays per copy). */
const lockSpaces = new WeakMap<object, LeaseSpace>();
const semaphoreSpaces = new WeakMap<object, LeaseSpace>();

/** The space of a backend's locks: its engine view, and its public `extend`. */
export function lockSpace<C extends BackendCapabilities>(backend: LockBackend<C>): LeaseSpace<C> {
  let space = lockSpaces.get(backend);
  if (!space) {
    space = makeLockSpace(backend as unknown as LockBackend<BackendCapabilities>);
    lockSpaces.set(backend, space);
  }
  return space as unknown as LeaseSpace<C>;
}

function makeLockSpace(backend: LockBackend<BackendCapabilities>): LeaseSpace {
  const view = engineView(backend);
  const { subscribe, withdraw } = view;
  return {
    kind: "lock",
    view,
    attempt: (input) => view.attempt(input),
    release: (_key, lockId) => view.release(lockId),
    extend: (_key, lockId, ttlMs) => backend.extend({ lockId, ttlMs }),
    ...(subscribe ? { subscribe: (key, listener) => subscribe.call(view, key, listener) } : {}),
    ...(withdraw ? { withdraw: (key, waiter) => withdraw.call(view, key, waiter) } : {}),
    lingerMs: view.lingerMs,
  };
}

/**
 * The space of a backend's semaphore permits (ADR-039), or undefined when its driver has no
 * `permits` (a backend written against `LockBackend` directly never has them).
 */
export function semaphoreSpace<C extends BackendCapabilities>(
  backend: LockBackend<C>,
): LeaseSpace<C> | undefined {
  let space = semaphoreSpaces.get(backend);
  if (!space) {
    const view = engineView(backend as unknown as LockBackend<BackendCapabilities>);
    const { permits } = view;
    if (!permits) return undefined;
    const { subscribe, withdraw } = permits;
    space = {
      kind: "semaphore",
      view,
      attempt: (input) => {
        if (input.permits === undefined) {
          return Promise.reject(
            new LockError("Internal", "A permit attempt must name its permits"),
          );
        }
        return permits.attempt({ ...input, permits: input.permits });
      },
      release: (key, lockId) => permits.release(key, lockId),
      extend: (key, lockId, ttlMs) => permits.extend(key, lockId, ttlMs),
      ...(subscribe
        ? { subscribe: (key, listener) => subscribe.call(permits, key, listener) }
        : {}),
      ...(withdraw ? { withdraw: (key, waiter) => withdraw.call(permits, key, waiter) } : {}),
      lingerMs: view.lingerMs,
    };
    semaphoreSpaces.set(backend, space);
  }
  return space as unknown as LeaseSpace<C>;
}
