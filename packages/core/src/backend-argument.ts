import { LockError } from "./errors";
import { describeValue } from "./time";

/** How a caller holding only a lock function does what a backend function does. */
const WITH_A_LOCK_FUNCTION: Readonly<Record<string, string>> = {
  "acquire()": "with a lock function, call lock(fn, { key }) instead",
  "acquirePermit()": "with a lock function, call lock.semaphore(fn, { key, permits }) instead",
  "createLock()": "a lock function is what createLock returns: call it",
};

/**
 * Refuses, before any I/O, a first argument that is not a backend: a lock function (an easy slip,
 * since `elect()` takes either) gets advice, anything else is described. A backend is an object
 * with `acquire` and `lookup`; what else it must have is checked where it is used.
 */
export function checkBackendArgument(target: unknown, where: string): void {
  const candidate = target as { acquire?: unknown; lookup?: unknown } | null;
  if (
    typeof candidate === "object" &&
    candidate !== null &&
    typeof candidate.acquire === "function" &&
    typeof candidate.lookup === "function"
  ) {
    return;
  }
  const makeOne =
    "the backend a store makes (createRedisBackend(client), createPostgresBackend(pool), " +
    "createFirestoreBackend(db)) or createMemoryBackend()";
  if (typeof target === "function") {
    const advice =
      WITH_A_LOCK_FUNCTION[where] ??
      "keep the backend the lock function was made on, and pass that (a store's createLock(client) makes its backend for you: make it yourself with create<Store>Backend(client), then createLock(backend))";
    throw new LockError(
      "InvalidArgument",
      `${where} takes a backend, not a lock function: ${advice}. A backend is ${makeOne}`,
    );
  }
  throw new LockError(
    "InvalidArgument",
    `${where} needs a backend as its first argument (${makeOne}), got ${describeValue(target)}`,
  );
}
