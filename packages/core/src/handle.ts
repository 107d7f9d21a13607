import { acquireWithRetry, type EngineDeps } from "./acquire-loop";
import { LockError } from "./errors";
import { emit } from "./events";
import { handoffWindowMs, openHandoffWindow } from "./handoff";
import { normalizeKey } from "./keys";
import { Lease } from "./lease";
import { type LockOptions, type ResolvedLockOptions, resolveLockOptions } from "./options";
import { systemClock } from "./time";
import type {
  BackendCapabilities,
  ExtendResult,
  FenceField,
  FencingCapabilities,
  LockBackend,
  ReleaseResult,
} from "./types";
import { unrefTimer } from "./wait";

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
} & FenceField<C>;

/** A held lock: `await using handle = await acquire(backend, { key })` releases on scope exit. */
export type LockHandle<C extends BackendCapabilities = FencingCapabilities> = LockContext<C> &
  AsyncDisposable & {
    /** Attempts it took to acquire, and time spent waiting. */
    readonly attempts: number;
    readonly waitedMs: number;
    /** Releases once; later calls resolve `{ ok: false }` without I/O. Errors propagate. */
    release(): Promise<ReleaseResult>;
  };

/** Test seams; not part of the documented API. */
export interface InternalDeps extends EngineDeps {}

const defaultDeps: InternalDeps = { clock: systemClock, random: Math.random };

function reportReleaseError(
  options: ResolvedLockOptions,
  error: unknown,
  lockId: string,
  source: "release" | "disposal",
) {
  const asError = error instanceof Error ? error : new Error(String(error), { cause: error });
  const context = { key: options.key, lockId, source };
  try {
    if (options.onReleaseError) options.onReleaseError(asError, context);
    else
      console.error(
        `[SyncGuard] release of lock ${JSON.stringify(options.key.slice(0, 64))} failed:`,
        asError,
      );
  } catch {
    // A throwing error handler must not turn cleanup into a failure of the caller's work.
  }
}

/** Resolves after `promise`, or rejects with NetworkTimeout after `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = unrefTimer(
      () => reject(new LockError("NetworkTimeout", `${what} did not complete within ${ms} ms`)),
      ms,
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Acquires with resolved options; shared by `acquire` and `lock`. */
export async function acquireResolved<C extends BackendCapabilities>(
  backend: LockBackend<C>,
  options: ResolvedLockOptions,
  deps: InternalDeps = defaultDeps,
): Promise<LockHandle<C>> {
  const key = normalizeKey(options.key);
  const resolved = { ...options, key };
  const won = await acquireWithRetry(backend, key, resolved, deps);
  const { result } = won;
  const lease = new Lease(backend, {
    key,
    lockId: result.lockId,
    ttlMs: resolved.ttlMs,
    sentAtMs: won.sentAtMs,
    roundTripMs: Math.max(0, deps.clock() - won.sentAtMs),
    expiresAtMs: result.expiresAtMs,
    autoExtend: resolved.autoExtend,
    clock: deps.clock,
    ...(resolved.onEvent ? { onEvent: resolved.onEvent } : {}),
  });
  emit(resolved.onEvent, {
    type: "acquired",
    key,
    attempts: won.attempts,
    waitedMs: won.waitedMs,
    ...(result.fence !== undefined ? { fence: result.fence } : {}),
  });
  const acquiredAt = deps.clock();
  let releasing: Promise<ReleaseResult> | undefined;

  const release = async (): Promise<ReleaseResult> => {
    lease.finish();
    const sentAt = deps.clock();
    const outcome = await backend.release({ lockId: result.lockId });
    if (outcome.contended) {
      const now = deps.clock();
      openHandoffWindow(backend, key, now + handoffWindowMs(now - sentAt));
    }
    emit(resolved.onEvent, {
      type: "released",
      key,
      ok: outcome.ok,
      heldMs: deps.clock() - acquiredAt,
    });
    return outcome;
  };

  const handle = {
    key,
    lockId: result.lockId,
    fence: result.fence,
    attempts: won.attempts,
    waitedMs: won.waitedMs,
    get expiresAtMs() {
      return lease.expiresAtMs;
    },
    get signal() {
      return lease.signal;
    },
    extend: (ttlMs?: number) => {
      if (ttlMs !== undefined) {
        // Validate here so a bad value fails before I/O even when called through the context.
        resolveLockOptions({ key, ttlMs });
      }
      return lease.extend(ttlMs);
    },
    release: (): Promise<ReleaseResult> => {
      if (releasing) return Promise.resolve({ ok: false });
      releasing = release();
      return releasing;
    },
    [Symbol.asyncDispose]: async (): Promise<void> => {
      if (releasing) {
        await releasing.catch(() => undefined);
        return;
      }
      releasing = release();
      try {
        await withTimeout(releasing, resolved.releaseTimeoutMs, "Release");
      } catch (error) {
        reportReleaseError(resolved, error, result.lockId, "disposal");
      }
    },
    /** @internal read by lock() */
    get lostError() {
      return lease.lostError;
    },
  };
  return handle as unknown as LockHandle<C>;
}

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
    return acquireResolved(backend, resolveLockOptions(options));
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
