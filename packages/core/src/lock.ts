import { isLockError, LockError } from "./errors";
import {
  acquireResolved,
  defaultDeps,
  type InternalDeps,
  type LockContext,
  type LockHandle,
  lostErrorOf,
} from "./handle";
import { type LockOptions, type ResolvedLockOptions, resolveLockOptions } from "./options";
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

/** `createLock` with its sources of time and randomness given (core's own tests). */
export function createLockWith<C extends BackendCapabilities>(
  backend: LockBackend<C>,
  defaults: LockDefaults,
  deps: InternalDeps,
): LockFunction<C> {
  const lock = async <T>(
    fn: (context: LockContext<C>) => T | Promise<T>,
    options: LockOptions,
  ): Promise<T> => {
    checkFn(fn, "lock()");
    const resolved = resolveLockOptions(options, defaults);
    return runHeld(await acquireResolved(backend, resolved, deps), fn);
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
    let handle: LockHandle<C>;
    try {
      handle = await acquireResolved(backend, resolved, deps);
    } catch (error) {
      // Only the acquisition is judged here: an AcquisitionTimeout thrown by fn still throws.
      if (isLockError(error, "AcquisitionTimeout")) return { ran: false };
      throw error;
    }
    return { ran: true, value: await runHeld(handle, fn) };
  };
  return Object.assign(lock, { ifFree });
}
