import { checkBackendArgument } from "./backend-argument";
import { engineView } from "./engine-view";
import { isLockError, LockError } from "./errors";
import {
  acquireResolved,
  defaultDeps,
  type InternalDeps,
  type LockContext,
  type LockHandle,
  lostErrorOf,
} from "./handle";
import { type LeaseSpace, lockSpace } from "./lease-space";
import type { Logger } from "./logger";
import {
  LockOptionResolver,
  type LockOptions,
  type ResolvedLockOptions,
  validateLockDefaults,
} from "./options";
import { permitSpaceOf, resolveSemaphoreOptions, type SemaphoreOptions } from "./semaphore";
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
   * Run fn while holding one permit of a counting semaphore (ADR-039): at most `permits` callers
   * of the key run at once, anywhere. Everything else is as `lock()`: the same options and
   * defaults, renewal, `maxHoldMs`, events, a fence (strictly increasing across the key's
   * permits) and `ctx.signal` on loss. Rejects with `InvalidArgument` before any I/O when the
   * backend has no semaphores.
   */
  semaphore<T>(
    fn: (context: LockContext<C>) => T | Promise<T>,
    options: SemaphoreOptions,
  ): Promise<T>;
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

/** The backend each lock function of this copy of core was made on (for `elect()`). */
const lockBackends = new WeakMap<object, LockBackend<BackendCapabilities>>();

const lockClosings = new WeakMap<object, AbortSignal>();

/** Aborts when `close()` is called on a lock function this copy of core made. */
export function closingSignalOf(lock: object): AbortSignal | undefined {
  return lockClosings.get(lock);
}

/** What an integration built on lock functions reads from one (see {@link lockFunctionTraits}). */
export interface LockFunctionTraits {
  /** Where the lock function's calls write warnings: its `logger` default, else its backend's. */
  readonly logger: Logger | undefined;
  /** Aborts when `close()` is called on the lock function. */
  readonly closing: AbortSignal;
}

/**
 * The logger and closing signal of a lock function this copy of core made, else undefined. For
 * integrations that run work on a lock function and must report or stop it the way its own calls
 * do (`@syncguard/schedule` logs a failed scheduled run there, and tells shutdown from failure).
 */
export function lockFunctionTraits(lock: object): LockFunctionTraits | undefined {
  const closing = lockClosings.get(lock);
  const backend = lockBackends.get(lock);
  if (closing === undefined || backend === undefined) return undefined;
  return { logger: lockLoggers.get(lock) ?? engineView(backend).logger, closing };
}

const lockLoggers = new WeakMap<object, Logger>();

/** The backend a lock function was made on, if this copy of core made it. */
export function backendOfLock<C extends BackendCapabilities>(
  lock: LockFunction<C>,
): LockBackend<C> | undefined {
  return lockBackends.get(lock) as LockBackend<C> | undefined;
}

function checkFn(fn: unknown, name: string): void {
  if (typeof fn !== "function") {
    throw new LockError("InvalidArgument", `${name} needs a function as its first argument`);
  }
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
  checkBackendArgument(backend, "createLock()");
  validateLockDefaults(defaults);
  const options = new LockOptionResolver(defaults, "lock");
  const locks = lockSpace(backend);
  const scope = new LockScope(closeOwned);

  /** Acquires for a call; an acquisition ended by close() says so. */
  const acquireFor = async (
    resolved: ResolvedLockOptions,
    space: LeaseSpace<C> = locks,
  ): Promise<LockHandle<C>> => {
    try {
      return await acquireResolved(space, resolved, deps);
    } catch (error) {
      throw scope.explain(error, resolved);
    }
  };

  /**
   * Runs fn under a held lock, releases, and turns a loss seen meanwhile into LockLost. One async
   * frame for the whole hold: this is every lock()'s hot path.
   */
  const runHeld = async <T>(
    handle: LockHandle<C>,
    fn: (context: LockContext<C>) => T | Promise<T>,
  ): Promise<T> => {
    scope.holding++;
    let value: T;
    try {
      value = await fn(handle);
    } finally {
      await handle[Symbol.asyncDispose]();
      scope.left();
    }
    const lost: LockError | undefined = lostErrorOf(handle);
    if (lost) throw lost;
    return value;
  };

  const lock = async <T>(
    fn: (context: LockContext<C>) => T | Promise<T>,
    callOptions: LockOptions,
  ): Promise<T> => {
    checkFn(fn, "lock()");
    const resolved = scope.enter(options.resolve(callOptions));
    return runHeld(await acquireFor(resolved), fn);
  };
  const ifFree = async <T>(
    fn: (context: LockContext<C>) => T | Promise<T>,
    callOptions: LockOptions,
  ): Promise<IfFreeResult<T>> => {
    checkFn(fn, "lock.ifFree()");
    const resolved: ResolvedLockOptions = options.resolve(callOptions);
    // "Skip if held" means one look, whatever the lock's defaults say; a call may still wait.
    if (callOptions.timeoutMs === undefined && callOptions.acquisition?.timeoutMs === undefined) {
      resolved.timeoutMs = 0;
    }
    resolved.skipIfHeld = true;
    scope.enter(resolved);
    let handle: LockHandle<C>;
    try {
      handle = await acquireFor(resolved);
    } catch (error) {
      // Only the acquisition is judged here: an AcquisitionTimeout thrown by fn still throws.
      if (isLockError(error, "AcquisitionTimeout")) return { ran: false };
      throw error;
    }
    return { ran: true, value: await runHeld(handle, fn) };
  };
  const semaphore = async <T>(
    fn: (context: LockContext<C>) => T | Promise<T>,
    callOptions: SemaphoreOptions,
  ): Promise<T> => {
    checkFn(fn, "lock.semaphore()");
    const space = permitSpaceOf(backend, "lock.semaphore()");
    const resolved = scope.enter(resolveSemaphoreOptions(callOptions, options, "lock.semaphore()"));
    return runHeld(await acquireFor(resolved, space), fn);
  };
  const close = () => scope.close();
  const made = Object.assign(lock, { ifFree, semaphore, close, [Symbol.asyncDispose]: close });
  lockBackends.set(made, backend as unknown as LockBackend<BackendCapabilities>);
  lockClosings.set(made, scope.closing);
  if (defaults.logger !== undefined) lockLoggers.set(made, defaults.logger);
  return made;
}

/**
 * What one lock function has in flight, so `close()` can end it: waits are aborted through one
 * shared signal, held sections are counted (close waits until they have released), then what the
 * function owns is closed.
 */
class LockScope {
  readonly #closing = new AbortController();
  #closed: Promise<void> | undefined;
  /** Sections running under a held lock, their release included. */
  holding = 0;
  #drained: (() => void) | undefined;

  constructor(private readonly closeOwned: (() => Promise<void>) | undefined) {}

  /** Aborts when close() is called: long-lived work on the lock function (elections) ends then. */
  get closing(): AbortSignal {
    return this.#closing.signal;
  }

  /** Refuses calls after close(), and makes the call's waits end when close() is called. */
  enter(resolved: ResolvedLockOptions): ResolvedLockOptions {
    if (this.#closed) throw closedError("was called after lock.close()");
    resolved.closing = this.#closing.signal;
    return resolved;
  }

  /** An acquisition that close() ended is reported as such. */
  explain(error: unknown, resolved: ResolvedLockOptions): unknown {
    if (this.#closing.signal.aborted && isLockError(error, "Aborted")) {
      return closedError("was waiting for the lock when lock.close() was called", error, resolved);
    }
    return error;
  }

  /** A held section has released. */
  left(): void {
    this.holding--;
    if (this.holding === 0) this.#drained?.();
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing.abort(new LockError("Aborted", "lock.close() was called"));
      if (this.holding > 0) {
        await new Promise<void>((resolve) => {
          this.#drained = resolve;
        });
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
