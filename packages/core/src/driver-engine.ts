import type { DriverListInput, DriverListPage, ListedLock, StoredPermit } from "./driver";
import type { EngineView, PermitSummary, PermitTarget, PermitView } from "./engine-view";
import { isFence } from "./fence";
import { hashLockId } from "./lookup";
import { type DriverParts, shapeAttempt } from "./public-backend";
import type { AcquireResult, BackendCapabilities } from "./types";

/**
 * What core's engine sees of a driver (see `EngineView`): attempts that carry a waiter, releases
 * that say whether waiters were told, the shared wake-up subscriptions, queue withdrawals and the
 * operator reads. Inputs here come from core itself, already validated.
 */
export function driverEngineView<C extends BackendCapabilities>(
  parts: DriverParts<C>,
): EngineView<C> {
  const { driver, call, watches } = parts;
  const { withdraw, list, readFence } = driver;
  return {
    capabilities: parts.capabilities,
    attempt: (input) => parts.attempt(input, false),
    async release(lockId) {
      const done = await call("release", undefined, () => driver.release({ lockId }));
      return { ok: done.released === true, contended: done.released === true && !!done.contended };
    },
    ...(watches ? { subscribe: (key, listener) => watches.subscribe(key, listener) } : {}),
    ...(withdraw
      ? {
          withdraw: (key, waiter) =>
            call("abandonWait", undefined, () => withdraw.call(driver, { key, waiter })),
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
    ...(list
      ? {
          async list(input: DriverListInput) {
            return shapePage(await call("list", input.signal, () => list.call(driver, input)));
          },
        }
      : {}),
    ...(readFence
      ? {
          async readFence(key: string, signal?: AbortSignal) {
            const read = await call("readFence", signal, () =>
              readFence.call(driver, { key, signal }),
            );
            return {
              ...(isFence(read?.fence) ? { fence: read.fence } : {}),
              shared: read?.shared === true,
            };
          },
        }
      : {}),
    lingerMs: driver.watchLingerMs ?? 0,
    ...(parts.permits ? { permits: permitView<C>(parts) } : {}),
    ...(driver.clock ? { clock: driver.clock } : {}),
    ...(driver.logger ? { logger: driver.logger } : {}),
  };
}

/** The engine's view of a driver's permits (ADR-039); inputs come from core, validated. */
function permitView<C extends BackendCapabilities>(parts: DriverParts<C>): PermitView<C> {
  const { driver, call } = parts;
  const permits = driver.permits!;
  const watches = parts.permits!.watches;
  const { withdraw } = permits;
  return {
    async attempt(input) {
      const outcome = await call("acquirePermit", undefined, () => permits.acquire(input));
      return shapeAttempt(outcome, input.lockId) as AcquireResult<C>;
    },
    async release(key, lockId) {
      const done = await call("releasePermit", undefined, () => permits.release({ key, lockId }));
      return { ok: done.released === true, contended: done.released === true && !!done.contended };
    },
    async extend(key, lockId, ttlMs) {
      const done = await call("extendPermit", undefined, () =>
        permits.extend({ key, lockId, ttlMs }),
      );
      return done && Number.isFinite(done.expiresAtMs)
        ? { ok: true, expiresAtMs: done.expiresAtMs }
        : { ok: false };
    },
    ...(watches ? { subscribe: (key, listener) => watches.subscribe(key, listener) } : {}),
    ...(withdraw
      ? {
          withdraw: (key, waiter) =>
            call("abandonPermitWait", undefined, () => withdraw.call(permits, { key, waiter })),
        }
      : {}),
    ...permitOperatorView(parts),
  };
}

/**
 * The operator reads and the forced release of one permit (ADR-041), where the driver has
 * `permits.read` / `permits.list`. LockIds stop here: what leaves is holder ids.
 */
function permitOperatorView<C extends BackendCapabilities>(
  parts: DriverParts<C>,
): Pick<PermitView<C>, "read" | "forceRelease" | "list"> {
  const { call } = parts;
  const permits = parts.driver.permits!;
  const { read, list } = permits;
  const readStored = async (operation: string, key: string, signal?: AbortSignal) => {
    const found = await call(operation, signal, () => read!.call(permits, { key, signal }));
    const holders = (found?.holders ?? [])
      .filter((permit) => isStoredPermit(permit) && permit.key === key)
      .sort(byFence);
    return holders.length > 0 && Number.isInteger(found?.permits)
      ? { permits: found!.permits, holders }
      : undefined;
  };
  return {
    ...(read
      ? {
          async read(key: string, signal?: AbortSignal) {
            const found = await readStored("readPermits", key, signal);
            return found && { permits: found.permits, holders: found.holders.map(summarize) };
          },
          // As forceRelease of a lock: the holder's lockId is read in the store and released as
          // the holder would, so waiters are woken, fences untouched, and a permit that expired
          // in between is left alone (its release finds nothing).
          async forceRelease(key: string, target: PermitTarget, signal?: AbortSignal) {
            const found = await readStored("forceReleasePermit", key, signal);
            const permit = found?.holders.find((holder) =>
              "fence" in target
                ? holder.fence === target.fence
                : hashLockId(holder.lockId) === target.holderId,
            );
            if (!permit) return { released: false };
            const done = await call("forceReleasePermit", signal, () =>
              permits.release({ key, lockId: permit.lockId, signal }),
            );
            return {
              released: done.released === true,
              ...(isFence(permit.fence) ? { fence: permit.fence } : {}),
              lockIdHash: hashLockId(permit.lockId),
            };
          },
        }
      : {}),
    ...(list
      ? {
          async list(input: DriverListInput) {
            const page = await call("listPermits", input.signal, () => list.call(permits, input));
            const shown = (page?.permits ?? []).filter(isStoredPermit).map(summarize);
            return typeof page?.cursor === "string" && page.cursor !== ""
              ? { permits: shown, cursor: page.cursor }
              : { permits: shown };
          },
        }
      : {}),
  };
}

function isStoredPermit(permit: StoredPermit | undefined): permit is StoredPermit {
  return (
    typeof permit?.key === "string" &&
    typeof permit.lockId === "string" &&
    Number.isFinite(permit.expiresAtMs) &&
    Number.isInteger(permit.permits)
  );
}

const byFence = (a: StoredPermit, b: StoredPermit): number =>
  (a.fence ?? "") < (b.fence ?? "") ? -1 : 1;

/** A stored permit as operators may see it: the lockId becomes its hash. */
function summarize(permit: StoredPermit): PermitSummary {
  return {
    key: permit.key,
    holderId: hashLockId(permit.lockId),
    ...(isFence(permit.fence) ? { fence: permit.fence } : {}),
    ...(Number.isFinite(permit.acquiredAtMs) ? { acquiredAtMs: permit.acquiredAtMs! } : {}),
    expiresAtMs: permit.expiresAtMs,
    permits: permit.permits,
  };
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
