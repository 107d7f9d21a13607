import { LockError } from "./errors";
import {
  acquireResolved,
  defaultDeps,
  type InternalDeps,
  type LockContext,
  lostErrorOf,
} from "./handle";
import { type LockOptions, resolveLockOptions } from "./options";
import type { BackendCapabilities, FencingCapabilities, LockBackend } from "./types";

/** Options fixed when the lock function is created; each call may override them. */
export type LockDefaults = Partial<Omit<LockOptions, "key">>;

/** `lock(fn, { key })`: run fn while holding the lock on key; returns fn's value. */
export type LockFunction<C extends BackendCapabilities = FencingCapabilities> = <T>(
  fn: (context: LockContext<C>) => T | Promise<T>,
  options: LockOptions,
) => Promise<T>;

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

/** `createLock` with its sources of time and randomness given (core's own tests). */
export function createLockWith<C extends BackendCapabilities>(
  backend: LockBackend<C>,
  defaults: LockDefaults,
  deps: InternalDeps,
): LockFunction<C> {
  return async <T>(
    fn: (context: LockContext<C>) => T | Promise<T>,
    options: LockOptions,
  ): Promise<T> => {
    if (typeof fn !== "function") {
      throw new LockError("InvalidArgument", "lock() needs a function as its first argument");
    }
    const resolved = resolveLockOptions(options, defaults);
    const handle = await acquireResolved(backend, resolved, deps);
    let value: T;
    try {
      value = await fn(handle);
    } finally {
      await handle[Symbol.asyncDispose]();
    }
    const lost: LockError | undefined = lostErrorOf(handle);
    if (lost) throw lost;
    return value;
  };
}
