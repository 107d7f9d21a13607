import type { DriverListInput, DriverListPage, ListedLock } from "./driver";
import type { EngineView, PermitView } from "./engine-view";
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
