import { type AcquiredLock, acquireWithRetry, type EngineDeps } from "./acquisition";
import { checkBackendArgument } from "./backend-argument";
import { isLockError, type LockError } from "./errors";
import { emit } from "./events";
import { noteHeldHere } from "./held-here";
import { normalizeKey } from "./keys";
import { Lease } from "./lease";
import { type LeaseSpace, lockSpace } from "./lease-space";
import { type Logger, writeLog } from "./logger";
import { LockOptionResolver, type LockOptions, type ResolvedLockOptions } from "./options";
import { openYieldWindow, yieldWindowMs } from "./releaser-yield";
import { withTimeout } from "./shared-timeout";
import { type Clock, monotonicClock, systemClock, validateTtl } from "./time";
import type {
  BackendCapabilities,
  ExtendResult,
  FenceField,
  FencingCapabilities,
  LockBackend,
  ReleaseResult,
} from "./types";
import { hasLocalWaiters } from "./wait-queue";

/** What the critical section sees: `lock(async (ctx) => ...)`. */
export type LockContext<C extends BackendCapabilities = FencingCapabilities> = {
  readonly key: string;
  readonly lockId: string;
  /** Expiry of the lease by the backend's clock, updated on every successful extend. */
  readonly expiresAtMs: number;
  /**
   * Aborts with `LockError("LockLost")` when the lock is found lost or its safe deadline passes
   * without a confirmed renewal. Pass it to the I/O your work does.
   */
  readonly signal: AbortSignal;
  /** Renews the lease to now + ttlMs (default: the acquire TTL). `{ ok: false }` means lost. */
  extend(ttlMs?: number): Promise<ExtendResult>;
  /**
   * Releases once, before the work ends if you like (what follows runs unprotected); later calls,
   * and the release when the work ends, resolve `{ ok: false }` without I/O. Errors propagate.
   */
  release(): Promise<ReleaseResult>;
  /** Attempts it took to acquire, and time spent waiting for the lock (ms). */
  readonly attempts: number;
  readonly waitedMs: number;
} & FenceField<C>;

/** A held lock: `await using handle = await acquire(backend, { key })` releases on scope exit. */
export type LockHandle<C extends BackendCapabilities = FencingCapabilities> = LockContext<C> &
  AsyncDisposable;

/** Sources of time and randomness, replaced in core's own tests. */
export interface InternalDeps extends EngineDeps {
  /** The wall clock, for client-authority expiry only. */
  wall: Clock;
}

export const defaultDeps: InternalDeps = {
  now: monotonicClock,
  wall: systemClock,
  random: Math.random,
};

function reportReleaseError(
  options: ResolvedLockOptions,
  logger: Logger | undefined,
  error: unknown,
  lockId: string,
  source: "release" | "disposal",
) {
  const asError = error instanceof Error ? error : new Error(String(error), { cause: error });
  const context = { key: options.key, lockId, source };
  if (!options.onReleaseError) {
    writeLog(
      logger,
      "error",
      `[SyncGuard] release of lock ${JSON.stringify(options.key.slice(0, 64))} failed: ${asError.message}`,
      { key: options.key, source, error: asError },
    );
    return;
  }
  try {
    options.onReleaseError(asError, context);
  } catch {
    // A throwing error handler must not turn cleanup into a failure of the caller's work.
  }
}

/** Warnings about options that work but are likely mistakes: once per process each. */
const warned = new Set<string>();

function warnOnce(logger: Logger | undefined, id: string, message: string): void {
  if (warned.has(id)) return;
  warned.add(id);
  writeLog(logger, "warn", `[SyncGuard] ${message}`);
}

function warnAboutOptions(options: ResolvedLockOptions, logger: Logger | undefined): void {
  if (options.usedAcquisitionForm) {
    warnOnce(
      logger,
      "acquisition",
      "lock options under `acquisition: { ... }` are deprecated: put them at the top level " +
        "(timeoutMs, maxRetries, retryDelayMs, jitter, signal)",
    );
  }
  if (options.autoExtend && options.ttlMs < TINY_TTL_MS) {
    warnOnce(
      logger,
      `tiny-ttl:${options.ttlMs}`,
      `ttlMs ${options.ttlMs} renews every ${Math.floor(options.ttlMs / 3)} ms while the work runs: ` +
        `ttlMs is in milliseconds (did you mean ${options.ttlMs * 1000}?)`,
    );
  }
}

/** A lease this short is almost always seconds written as milliseconds. */
const TINY_TTL_MS = 100;

/** Acquires a lease of `space` (a lock, or a permit) with resolved options; behind every entry. */
export async function acquireResolved<C extends BackendCapabilities>(
  space: LeaseSpace<C>,
  options: ResolvedLockOptions,
  deps: InternalDeps = defaultDeps,
): Promise<LockHandle<C>> {
  const key = normalizeKey(options.key);
  warnAboutOptions(options, options.logger ?? space.view.logger);
  const won = await acquireWithRetry(space, key, options, deps);
  const { result } = won;
  const lease = new Lease(space, {
    key,
    lockId: result.lockId,
    ttlMs: options.ttlMs,
    sentAtMs: won.sentAtMs,
    roundTripMs: Math.max(0, deps.now() - won.sentAtMs),
    expiresAtMs: result.expiresAtMs,
    autoExtend: options.autoExtend,
    maxHoldMs: options.maxHoldMs,
    now: deps.now,
    ...(space.view.capabilities.timeAuthority === "client"
      ? { wallClock: space.view.clock ?? deps.wall }
      : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  if (options.onEvent)
    emit(options.onEvent, {
      type: "acquired",
      key,
      attempts: won.attempts,
      waitedMs: won.waitedMs,
      ...(result.fence !== undefined ? { fence: result.fence } : {}),
    });
  return new HeldLock(space, options, deps, key, won, lease) as unknown as LockHandle<C>;
}

/**
 * The handle behind `acquire()` and the context `lock()` passes to fn. A class, so a lock on the
 * hot path costs a few field stores: the getters live on the prototype. The methods are arrow
 * fields because users destructure them (`async ({ extend }) => ...`).
 */
class HeldLock<C extends BackendCapabilities> {
  readonly key: string;
  readonly lockId: string;
  readonly fence: string | undefined;
  readonly attempts: number;
  readonly waitedMs: number;
  // Private (#) so logging a context shows the lock, not the backend and options behind it.
  readonly #space: LeaseSpace<C>;
  readonly #options: ResolvedLockOptions;
  readonly #now: InternalDeps["now"];
  readonly #lease: Lease<C>;
  readonly #acquiredAtMs: number;
  #releasing: Promise<ReleaseResult> | undefined;
  #releaseFailed = false;
  readonly #endHeldHere: () => void;

  constructor(
    space: LeaseSpace<C>,
    options: ResolvedLockOptions,
    deps: InternalDeps,
    key: string,
    won: AcquiredLock<C>,
    lease: Lease<C>,
  ) {
    this.key = key;
    this.lockId = won.result.lockId;
    this.fence = won.result.fence;
    this.attempts = won.attempts;
    this.waitedMs = won.waitedMs;
    this.#space = space;
    this.#options = options;
    this.#now = deps.now;
    this.#lease = lease;
    this.#acquiredAtMs = deps.now();
    this.#endHeldHere = noteHeldHere(space, key);
  }

  get expiresAtMs(): number {
    return this.#lease.expiresAtMs;
  }

  get signal(): AbortSignal {
    return this.#lease.signal;
  }

  /** @internal read by lock() */
  get lostError(): LockError | undefined {
    return this.#lease.lostError;
  }

  readonly extend = (ttlMs?: number): Promise<ExtendResult> => {
    if (ttlMs !== undefined) {
      // Validate here so a bad value fails before I/O even when called through the context.
      validateTtl(ttlMs);
    }
    return this.#lease.extend(ttlMs);
  };

  readonly release = (): Promise<ReleaseResult> => {
    if (this.#releasing) return Promise.resolve({ ok: false });
    this.#releasing = this.releaseOnce();
    return this.#releasing;
  };

  readonly [Symbol.asyncDispose] = async (): Promise<void> => {
    if (this.#releasing) {
      await this.#releasing.catch(() => undefined);
      return;
    }
    this.#releasing = this.releaseOnce();
    try {
      const outcome = await withTimeout(this.#releasing, this.#options.releaseTimeoutMs, "Release");
      if (!outcome.ok && this.#lease.lostAtRelease) {
        reportReleaseError(
          this.#options,
          this.logger,
          this.#lease.lostAtRelease,
          this.lockId,
          "disposal",
        );
      }
    } catch (error) {
      // Past releaseTimeoutMs the release may still be in flight: report it failed now, once.
      this.noteReleaseFailed(error);
      reportReleaseError(this.#options, this.logger, error, this.lockId, "disposal");
    }
  };

  /** The lock's logger: its own option, else the backend's; undefined means console. */
  private get logger(): Logger | undefined {
    return this.#options.logger ?? this.#space.view.logger;
  }

  private noteReleaseFailed(error: unknown): void {
    if (this.#releaseFailed) return;
    this.#releaseFailed = true;
    if (this.#options.onEvent)
      emit(this.#options.onEvent, {
        type: "release-failed",
        key: this.key,
        code: isLockError(error) ? error.code : "Internal",
        heldMs: Math.round(this.#now() - this.#acquiredAtMs),
      });
  }

  private async releaseOnce(): Promise<ReleaseResult> {
    this.#endHeldHere();
    const now = this.#now;
    this.#lease.finish();
    const sentAt = now();
    const space = this.#space;
    let outcome: { readonly ok: boolean; readonly contended: boolean };
    try {
      outcome = await space.release(this.key, this.lockId);
    } catch (error) {
      this.noteReleaseFailed(error);
      throw error;
    }
    // Contended: the backend told waiters elsewhere, or callers here are waiting for the key.
    if (outcome.ok && (outcome.contended || hasLocalWaiters(space, this.key))) {
      const at = now();
      openYieldWindow(space, this.key, at, at + yieldWindowMs(at - sentAt));
    }
    if (this.#options.onEvent)
      emit(this.#options.onEvent, {
        type: "released",
        key: this.key,
        ok: outcome.ok,
        heldMs: Math.round(now() - this.#acquiredAtMs),
      });
    // Nothing to release although nobody had reported a loss: the record vanished while the work
    // ran (expired unseen, restart without persistence, failover, eviction, a forced release).
    if (!outcome.ok) this.#lease.noteGoneAtRelease();
    return { ok: outcome.ok };
  }
}

/** `acquire()` has no defaults of its own: one resolver for every call. */
const acquireOptions = new LockOptionResolver({}, "acquire");

/**
 * Acquires a lock with retries and returns a handle to work under. Release it with
 * `handle.release()`, or let `await using` do it:
 *
 * ```ts
 * await using handle = await acquire(backend, { key: "report:daily", ttlMs: 60_000 });
 * await writeReport({ fence: handle.fence });
 * ```
 *
 * Throws `LockError("AcquisitionTimeout")` when the lock could not be had in time.
 */
export function acquire<C extends BackendCapabilities>(
  backend: LockBackend<C>,
  options: LockOptions,
): Promise<LockHandle<C>> {
  try {
    checkBackendArgument(backend, "acquire()");
    return acquireResolved(lockSpace(backend), acquireOptions.resolve(options));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The LockLost error recorded by a handle, if its lock was lost. */
export function lostErrorOf<C extends BackendCapabilities>(
  handle: LockHandle<C>,
): LockError | undefined {
  return (handle as unknown as { lostError?: LockError }).lostError;
}
