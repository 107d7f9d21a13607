import { isLockError, LockError } from "./errors";
import {
  acquireResolved,
  defaultDeps,
  type InternalDeps,
  type LockContext,
  type LockHandle,
  lostErrorOf,
} from "./handle";
import {
  type LockOptions,
  type ResolvedLockOptions,
  resolveLockOptions,
  validateLockDefaults,
} from "./options";
import type { BackendCapabilities, FencingCapabilities, LockBackend } from "./types";

/** Options fixed when the lock function is created; each call may override them. */
export type LockDefaults = Partial<Omit<LockOptions, "key">>;

/** What `lock.ifFree()` resolves to: fn's value if it ran, `{ ran: false }` if the key was held. */
export type IfFreeResult<T> = { ran: true; value: T } | { ran: false };

/** `lock(fn, { key })`: run fn while holding the lock on key; returns fn's value. */
export type LockFunction<C extends BackendCapabilities = FencingCapabilities> = (<T>(
  fn: (context: LockContext<C>) => T | Promise<T>,
  options: LockOptions,
) => Promise<T>) & {
  /**
   * Run fn if the key is free, skip it if held: `{ ran: true, value }` or `{ ran: false }`. A held
   * key never throws; every other error does. One attempt unless the call sets `timeoutMs`.
   */
  ifFree<T>(
    fn: (context: LockContext<C>) => T | Promise<T>,
    options: LockOptions,
  ): Promise<IfFreeResult<T>>;
  /**
   * Ends the lock function: calls still waiting for a lock reject with `LockError("Aborted")`,
   * new calls too; work already holding a lock runs to its end and releases it; then every
   * background resource the lock function owns (for a store package's `createLock`: the backend
   * and its wake-up connection) is closed. Never closes your client. Idempotent.
   */
  close(): Promise<void>;
  /** `await using lock = createLock(...)` calls `close()` on scope exit. */
  [Symbol.asyncDispose](): Promise<void>;
};

/**
 * Binds a backend and default options into a `lock` function:
 *
 * ```ts
 * const lock = createLock(backend);
 * await lock(async ({ fence }) => chargeOnce(paymentId, fence), { key: `payment:${paymentId}` });
 * ```
 *
 * The lock is always released when fn settles. A release failure never replaces fn's result or
 * error; it goes to `onReleaseError`. If the lock was lost while fn ran (see `LockContext.signal`),
 * the call rejects with `LockError("LockLost")` after fn settles, unless fn itself threw.
 */
export function createLock<C extends BackendCapabilities>(
  backend: LockBackend<C>,
  defaults: LockDefaults = {},
): LockFunction<C> {
  return createLockWith(backend, defaults, defaultDeps);
}

function checkFn(fn: unknown, name: string): void {
  if (typeof fn !== "function") {
    throw new LockError("InvalidArgument", `${name} needs a function as its first argument`);
  }
}

/** Runs fn under a held lock, releases, and turns a loss seen meanwhile into LockLost. */
async function runHeld<C extends BackendCapabilities, T>(
  handle: LockHandle<C>,
  fn: (context: LockContext<C>) => T | Promise<T>,
): Promise<T> {
  let value: T;
  try {
    value = await fn(handle);
  } finally {
    await handle[Symbol.asyncDispose]();
  }
  const lost: LockError | undefined = lostErrorOf(handle);
  if (lost) throw lost;
  return value;
}

/**
 * `createLock` with its sources of time and randomness given (core's own tests), and what
 * `close()` closes besides the lock function's own waits (a store package's own backend).
 */
export function createLockWith<C extends BackendCapabilities>(
  backend: LockBackend<C>,
  defaults: LockDefaults,
  deps: InternalDeps,
  closeOwned?: () => Promise<void>,
): LockFunction<C> {
  validateLockDefaults(defaults);
  const scope = new LockScope(closeOwned);
  const lock = async <T>(
    fn: (context: LockContext<C>) => T | Promise<T>,
    options: LockOptions,
  ): Promise<T> => {
    checkFn(fn, "lock()");
    const resolved = scope.enter(resolveLockOptions(options, defaults));
    return scope.run(
      () => acquireResolved(backend, resolved, deps),
      resolved,
      (handle) => runHeld(handle, fn),
    );
  };
  const ifFree = async <T>(
    fn: (context: LockContext<C>) => T | Promise<T>,
    options: LockOptions,
  ): Promise<IfFreeResult<T>> => {
    checkFn(fn, "lock.ifFree()");
    const resolved: ResolvedLockOptions = resolveLockOptions(
      // "Skip if held" means one look, whatever the lock's defaults say; a call may still wait.
      options !== null &&
        typeof options === "object" &&
        options.timeoutMs === undefined &&
        options.acquisition?.timeoutMs === undefined
        ? { ...options, timeoutMs: 0 }
        : options,
      defaults,
    );
    resolved.skipIfHeld = true;
    scope.enter(resolved);
    let held: IfFreeResult<T> | undefined;
    return scope.run(
      async () => {
        try {
          return await acquireResolved(backend, resolved, deps);
        } catch (error) {
          // Only the acquisition is judged here: an AcquisitionTimeout thrown by fn still throws.
          if (isLockError(error, "AcquisitionTimeout")) held = { ran: false };
          throw error;
        }
      },
      resolved,
      async (handle) => ({ ran: true, value: await runHeld(handle, fn) }),
      () => held,
    );
  };
  const close = () => scope.close();
  return Object.assign(lock, { ifFree, close, [Symbol.asyncDispose]: close });
}

/**
 * What one lock function has in flight, so `close()` can end it: waits are aborted through one
 * shared signal, held sections are awaited (they release), then what the function owns is closed.
 */
class LockScope {
  readonly #closing = new AbortController();
  readonly #held = new Set<Promise<unknown>>();
  #closed: Promise<void> | undefined;

  constructor(private readonly closeOwned: (() => Promise<void>) | undefined) {}

  /** Refuses calls after close(), and makes the call's waits end when close() is called. */
  enter(resolved: ResolvedLockOptions): ResolvedLockOptions {
    if (this.#closed) throw closedError("was called after lock.close()");
    const own = resolved.signal;
    resolved.signal = own ? AbortSignal.any([own, this.#closing.signal]) : this.#closing.signal;
    return resolved;
  }

  /**
   * Acquires, then runs `work` with the handle. An acquisition ended by close() rejects with a
   * message that says so; `skipped` turns an acquisition error into a result (ifFree).
   */
  async run<H, T>(
    acquireLock: () => Promise<H>,
    resolved: ResolvedLockOptions,
    work: (handle: H) => Promise<T>,
    skipped?: () => T | undefined,
  ): Promise<T> {
    let handle: H;
    try {
      handle = await acquireLock();
    } catch (error) {
      const result = skipped?.();
      if (result !== undefined) return result;
      if (this.#closing.signal.aborted && isLockError(error, "Aborted")) {
        throw closedError("was waiting for the lock when lock.close() was called", error, resolved);
      }
      throw error;
    }
    const running = work(handle);
    this.#held.add(running);
    try {
      return await running;
    } finally {
      this.#held.delete(running);
    }
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing.abort(new LockError("Aborted", "lock.close() was called"));
      while (this.#held.size > 0) {
        await Promise.allSettled([...this.#held]);
      }
      await this.closeOwned?.();
    })();
    return this.#closed;
  }
}

function closedError(what: string, cause?: unknown, resolved?: ResolvedLockOptions): LockError {
  const call = resolved ? `lock() on ${JSON.stringify(resolved.key.slice(0, 64))}` : "lock()";
  return new LockError("Aborted", `${call} ${what}`, cause === undefined ? {} : { cause });
}
