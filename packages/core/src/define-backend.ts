import type {
  DriverAcquireInput,
  DriverAttempt,
  DriverListInput,
  DriverListPage,
  ListedLock,
  LockDriver,
  StoredLock,
} from "./driver";
import { carryEngineView } from "./engine-view";
import { abortError, LockError } from "./errors";
import { isFence } from "./fence";
import {
  parseAcquireOptions,
  parseExtendOptions,
  parseKeyOptions,
  parseReleaseOptions,
} from "./input";
import { normalizeKey } from "./keys";
import { hashLockId, parseLookupOptions } from "./lookup";
import { releaseOrphan } from "./orphan";
import { raceDeadline } from "./shared-timeout";
import type {
  AcquireResult,
  BackendCapabilities,
  HolderInfo,
  LockBackend,
  LockInfo,
  ReleaseListener,
} from "./types";
import { Watches } from "./watches";

/** A backend made by `defineBackend`: the contract's operations plus `close()`. */
export type DefinedBackend<C extends BackendCapabilities> = LockBackend<C> & {
  /** Releases what the driver opened itself (never the caller's client). */
  close(): Promise<void>;
};

/**
 * Turns a driver into a `LockBackend` that obeys the contract's input, abort, result and secrecy
 * rules whatever the driver does (ADR-022):
 * - every input is validated before the driver sees it, and a signal that already fired throws
 *   `Aborted` with nothing sent;
 * - a signal that fires while the driver works ends the call at once with `Aborted`; an acquire
 *   abandoned that way is released once the driver answers, if it took the lock;
 * - lockIds come from core, and no lookup or holder info ever carries one;
 * - driver errors become LockErrors through the driver's `toLockError` (unknown ones: Internal);
 * - wake-ups are reference-counted here: the driver watches each key once.
 */
export function defineBackend<C extends BackendCapabilities>(
  driver: LockDriver<C>,
): DefinedBackend<C> {
  const capabilities = Object.freeze({ ...driver.capabilities });
  const watches = driver.watch ? new Watches(driver) : undefined;

  /** Runs one driver call: errors mapped, and no later than the caller's signal. */
  async function call<T>(
    operation: string,
    signal: AbortSignal | undefined,
    run: () => Promise<T>,
    onAbandoned?: (pending: Promise<T>) => void,
  ): Promise<T> {
    let pending: Promise<T>;
    try {
      pending = run();
    } catch (error) {
      throw mapError(driver, error, operation);
    }
    if (!signal) {
      try {
        return await pending;
      } catch (error) {
        throw mapError(driver, error, operation);
      }
    }
    const outcome = await raceDeadline(pending, Number.POSITIVE_INFINITY, signal);
    if (outcome.by === "value") return outcome.value;
    if (outcome.by === "error") throw mapError(driver, outcome.error, operation);
    // A driver that honours the signal itself answers within a turn, often saying more (whether
    // anything was written); prefer its account. Otherwise the call ends here.
    const own = await settledWithinATurn(pending);
    if (own?.by === "value") return own.value;
    if (own?.by === "error") throw mapError(driver, own.error, operation);
    onAbandoned?.(pending);
    throw abortError(signal, operation);
  }

  /**
   * One attempt. `raced`: end the call when the signal fires (and release the abandoned attempt
   * once it lands); the engine races its attempts itself, against its deadline too.
   */
  const attempt = async (input: DriverAcquireInput, raced: boolean): Promise<AcquireResult<C>> => {
    const outcome = await call(
      "acquire",
      raced ? input.signal : undefined,
      () => driver.acquire(input),
      (pending) => releaseOrphan(backend, input.lockId, pending.then(toOk), input.ttlMs),
    );
    return shapeAttempt(outcome, input.lockId) as AcquireResult<C>;
  };

  const backend: DefinedBackend<C> = {
    capabilities,
    async acquire(options) {
      const parsed = parseAcquireOptions(options);
      const { key, tag, ttlMs, lockId, signal } = parsed;
      return attempt({ key, tag, ttlMs, lockId, ...(signal ? { signal } : {}) }, true);
    },
    async release(options) {
      const { lockId, signal } = parseReleaseOptions(options);
      const done = await call("release", signal, () => driver.release({ lockId, signal }));
      return { ok: done.released === true };
    },
    async extend(options) {
      const { lockId, ttlMs, signal } = parseExtendOptions(options);
      const done = await call("extend", signal, () => driver.extend({ lockId, ttlMs, signal }));
      return done && Number.isFinite(done.expiresAtMs)
        ? { ok: true, expiresAtMs: done.expiresAtMs }
        : { ok: false };
    },
    async isLocked(options) {
      const { key, signal } = parseKeyOptions(options, "isLocked");
      if (driver.isLocked) {
        return (await call("isLocked", signal, () => driver.isLocked!({ key, signal }))) === true;
      }
      const found = await call("isLocked", signal, () => driver.readByKey({ key, signal }));
      return found !== undefined && found.key === key;
    },
    async lookup(options) {
      const target = parseLookupOptions(options);
      const { signal } = options;
      if (target.lockId !== undefined) {
        const { lockId } = target;
        const found = await call("lookup", signal, () => driver.readByLockId({ lockId, signal }));
        // Ownership is checked here too: a careless driver cannot hand out another's lock.
        return found?.lockId === lockId ? (toInfo(found) as LockInfo<C>) : null;
      }
      const { key } = target;
      const found = await call("lookup", signal, () => driver.readByKey({ key, signal }));
      return found?.key === key ? (toInfo(found) as LockInfo<C>) : null;
    },
    ...(watches
      ? {
          subscribe: async (key: string, listener: ReleaseListener) => {
            if (typeof listener !== "function") {
              throw new LockError("InvalidArgument", "subscribe needs a listener function");
            }
            const normalized = normalizeKey(key);
            try {
              return await watches.subscribe(normalized, listener);
            } catch (error) {
              throw mapError(driver, error, "subscribe");
            }
          },
        }
      : {}),
    close: async () => {
      watches?.clear();
      await driver.close?.();
    },
  };

  carryEngineView(backend, {
    capabilities,
    attempt: (input) => attempt(input, false),
    async release(lockId) {
      const done = await call("release", undefined, () => driver.release({ lockId }));
      return { ok: done.released === true, contended: done.released === true && !!done.contended };
    },
    ...(watches ? { subscribe: (key, listener) => watches.subscribe(key, listener) } : {}),
    ...(driver.withdraw
      ? {
          withdraw: (key, waiter) =>
            call("abandonWait", undefined, () => driver.withdraw!({ key, waiter })),
        }
      : {}),
    // An operator's escape hatch: the holder's lockId is read in the store and released like the
    // holder would, so waiters are woken, fences are untouched, and a lock that changed hands in
    // between is left alone (its lockId no longer matches).
    async forceRelease(key, signal) {
      const found = await call("forceRelease", signal, () => driver.readByKey({ key, signal }));
      if (found === undefined || found.key !== key) return { released: false };
      const done = await call("forceRelease", signal, () =>
        driver.release({ lockId: found.lockId, signal }),
      );
      return {
        released: done.released === true,
        ...(isFence(found.fence) ? { fence: found.fence } : {}),
        lockIdHash: hashLockId(found.lockId),
      };
    },
    ...(driver.list
      ? {
          async list(input: DriverListInput) {
            const page = await call("list", input.signal, () => driver.list!(input));
            return shapePage(page);
          },
        }
      : {}),
    ...(driver.readFence
      ? {
          async readFence(key: string, signal?: AbortSignal) {
            const read = await call("readFence", signal, () => driver.readFence!({ key, signal }));
            return {
              ...(isFence(read?.fence) ? { fence: read.fence } : {}),
              shared: read?.shared === true,
            };
          },
        }
      : {}),
    lingerMs: driver.watchLingerMs ?? 0,
    ...(driver.logger ? { logger: driver.logger } : {}),
  });
  return backend;
}

/** The promise's outcome if it settles before the next turn of the event loop. */
function settledWithinATurn<T>(
  pending: Promise<T>,
): Promise<{ by: "value"; value: T } | { by: "error"; error: unknown } | undefined> {
  return new Promise((resolve) => {
    const timer = setImmediate(() => resolve(undefined));
    pending.then(
      (value) => {
        clearImmediate(timer);
        resolve({ by: "value", value });
      },
      (error: unknown) => {
        clearImmediate(timer);
        resolve({ by: "error", error });
      },
    );
  });
}

function mapError<C extends BackendCapabilities>(
  driver: LockDriver<C>,
  error: unknown,
  operation: string,
): LockError {
  if (error instanceof LockError) return error;
  const mapped = driver.toLockError?.(error, operation);
  if (mapped) return mapped;
  const detail = error instanceof Error ? error.message || error.name : String(error);
  return new LockError("Internal", `${operation} failed: ${detail || "unknown error"}`, {
    cause: error,
  });
}

/** For the orphan release: an acquired attempt reads as `{ ok: true }`. */
const toOk = (outcome: DriverAttempt) => ({ ok: outcome.acquired });

/** The public result of an attempt: only what the contract allows, never a holder's lockId. */
function shapeAttempt(outcome: DriverAttempt, lockId: string): AcquireResult {
  if (outcome.acquired) {
    return {
      ok: true,
      lockId,
      expiresAtMs: outcome.expiresAtMs,
      ...(isFence(outcome.fence) ? { fence: outcome.fence } : {}),
    } as AcquireResult;
  }
  const holder = outcome.holder ? shapeHolder(outcome.holder) : undefined;
  return { ok: false, reason: "locked", ...(holder ? { holder } : {}) };
}

function shapeHolder(seen: HolderInfo): HolderInfo | undefined {
  const holder: { fence?: string; remainingMs?: number } = {};
  if (isFence(seen.fence)) holder.fence = seen.fence;
  if (typeof seen.remainingMs === "number" && seen.remainingMs >= 0) {
    holder.remainingMs = seen.remainingMs;
  }
  return holder.fence === undefined && holder.remainingMs === undefined ? undefined : holder;
}

/** What a lookup reveals: the lock without its lockId (only a hash of it, for logs). */
function toInfo(lock: StoredLock): LockInfo<BackendCapabilities> {
  return {
    key: lock.key,
    lockIdHash: hashLockId(lock.lockId),
    acquiredAtMs: lock.acquiredAtMs,
    expiresAtMs: lock.expiresAtMs,
    ...(isFence(lock.fence) ? { fence: lock.fence } : {}),
  } as LockInfo<BackendCapabilities>;
}

/** A listing page with only what a listing may show: a careless driver cannot leak a lockId. */
function shapePage(page: DriverListPage): DriverListPage {
  const locks: ListedLock[] = (page?.locks ?? []).map((lock) => ({
    key: lock.key,
    acquiredAtMs: lock.acquiredAtMs,
    expiresAtMs: lock.expiresAtMs,
    ...(isFence(lock.fence) ? { fence: lock.fence } : {}),
  }));
  return typeof page?.cursor === "string" && page.cursor !== ""
    ? { locks, cursor: page.cursor }
    : { locks };
}
