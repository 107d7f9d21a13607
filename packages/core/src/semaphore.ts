import { checkBackendArgument } from "./backend-argument";
import { LockError } from "./errors";
import { acquireResolved, type LockHandle } from "./handle";
import { type LeaseSpace, semaphoreSpace } from "./lease-space";
import { checkOptionNames, SEMAPHORE_OPTION_NAMES } from "./option-names";
import { LockOptionResolver, type LockOptions, type ResolvedLockOptions } from "./options";
import { validatePermits } from "./permits";
import type { BackendCapabilities, LockBackend } from "./types";

/**
 * Counting semaphores (ADR-039): at most `permits` holders of a semaphore key at once, each with
 * its own lease, lockId and fence. A permit is taken, renewed, released and lost exactly like a
 * lock (the same engine drives both, through the backend's semaphore space).
 */

/** Options of `lock.semaphore(fn, options)` and `acquirePermit(backend, options)`. */
export interface SemaphoreOptions extends LockOptions {
  /**
   * How many holders the semaphore admits at once: an integer from 1 to 1000. Every caller of a
   * key must agree while permits of it are live; a caller that asks for another number gets
   * `LockError("InvalidArgument")`. Once no permit is live, the next caller's number holds.
   */
  permits: number;
}

/** Resolves a semaphore call's options: strict names, `permits`, then the lock options. */
export function resolveSemaphoreOptions(
  options: SemaphoreOptions,
  resolver: LockOptionResolver,
  where: string,
): ResolvedLockOptions {
  if (options === null || typeof options !== "object") {
    throw new LockError("InvalidArgument", `${where} must be an object with a key and permits`);
  }
  checkOptionNames(options, SEMAPHORE_OPTION_NAMES, `${where} options`);
  const permits = validatePermits(options.permits);
  const { permits: _permits, ...lockOptions } = options;
  const resolved = resolver.resolve(lockOptions);
  resolved.permits = permits;
  return resolved;
}

/** The backend's semaphore space; a backend without permits is refused before any I/O. */
export function permitSpaceOf<C extends BackendCapabilities>(
  backend: LockBackend<C>,
  where: string,
): LeaseSpace<C> {
  const space = semaphoreSpace(backend);
  if (!space) {
    throw new LockError(
      "InvalidArgument",
      `${where}: the ${JSON.stringify(backend.capabilities.backend)} backend does not support ` +
        "semaphores (its driver has no `permits` operations, see ADR-039)",
    );
  }
  return space;
}

/** `acquirePermit()` has no defaults of its own: one resolver for every call. */
const permitOptions = new LockOptionResolver({}, "acquire");

/**
 * Takes one permit of a counting semaphore, with retries, and returns a handle to work under,
 * exactly like `acquire()` returns a lock's:
 *
 * ```ts
 * await using permit = await acquirePermit(backend, { key: "exports", permits: 3, ttlMs: 60_000 });
 * await runExport({ fence: permit.fence });
 * ```
 *
 * Throws `LockError("AcquisitionTimeout")` when no permit came free in time, and
 * `LockError("InvalidArgument")` when the backend has no semaphores or `permits` disagrees with
 * the semaphore's live holders.
 */
export function acquirePermit<C extends BackendCapabilities>(
  backend: LockBackend<C>,
  options: SemaphoreOptions,
): Promise<LockHandle<C>> {
  try {
    checkBackendArgument(backend, "acquirePermit()");
    const space = permitSpaceOf(backend, "acquirePermit()");
    return acquireResolved(
      space,
      resolveSemaphoreOptions(options, permitOptions, "acquirePermit()"),
    );
  } catch (error) {
    return Promise.reject(error);
  }
}
