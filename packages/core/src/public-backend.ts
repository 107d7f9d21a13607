import type { DriverAcquireInput, DriverAttempt, LockDriver, StoredLock } from "./driver";
import type { DriverCall } from "./driver-call";
import { mapDriverError } from "./driver-call";
import { LockError } from "./errors";
import { isFence } from "./fence";
import {
  parseAcquireOptions,
  parseExtendOptions,
  parseKeyOptions,
  parseReleaseOptions,
} from "./input";
import { normalizeKey } from "./keys";
import { hashLockId, parseLookupOptions } from "./lookup";
import type {
  AcquireResult,
  BackendCapabilities,
  HolderInfo,
  LockBackend,
  LockInfo,
  ReleaseListener,
} from "./types";
import type { Watches } from "./watches";

/** A backend made by `defineBackend`: the contract's operations plus `close()`. */
export type DefinedBackend<C extends BackendCapabilities> = LockBackend<C> & {
  /** Releases what the driver opened itself (never the caller's client). */
  close(): Promise<void>;
};

/** What the public backend and the engine view of one driver share. */
export interface DriverParts<C extends BackendCapabilities> {
  readonly driver: LockDriver<C>;
  readonly capabilities: Readonly<C>;
  readonly call: DriverCall;
  readonly watches: Watches | undefined;
  /** Set when the driver has permits (ADR-039): their own wake-ups, apart from the locks'. */
  readonly permits: { readonly watches: Watches | undefined } | undefined;
  /**
   * One attempt with validated input. `raced`: end the call when the signal fires (and release
   * the abandoned attempt once it lands); the engine races its attempts itself.
   */
  attempt(input: DriverAcquireInput, raced: boolean): Promise<AcquireResult<C>>;
}

/**
 * The contract's operations on a driver: every input validated before the driver sees it (a
 * signal that already fired throws `Aborted` with nothing sent), results shaped so that no
 * lookup or holder info ever carries a lockId.
 */
export function publicBackend<C extends BackendCapabilities>(
  parts: DriverParts<C>,
): DefinedBackend<C> {
  const { driver, call, watches } = parts;
  return {
    capabilities: parts.capabilities,
    async acquire(options) {
      const { key, tag, ttlMs, lockId, signal } = parseAcquireOptions(options);
      return parts.attempt({ key, tag, ttlMs, lockId, ...(signal ? { signal } : {}) }, true);
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
      const { isLocked } = driver;
      if (isLocked) {
        return (
          (await call("isLocked", signal, () => isLocked.call(driver, { key, signal }))) === true
        );
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
              throw mapDriverError(driver, error, "subscribe");
            }
          },
        }
      : {}),
    close: async () => {
      watches?.clear();
      parts.permits?.watches?.clear();
      await driver.close?.();
    },
  };
}

/** The public result of an attempt: only what the contract allows, never a holder's lockId. */
export function shapeAttempt(outcome: DriverAttempt, lockId: string): AcquireResult {
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
