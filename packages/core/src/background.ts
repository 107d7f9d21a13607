/**
 * Work core does for a backend after the caller has moved on: releasing an abandoned attempt,
 * withdrawing a waiter from the store's queue, keeping a wake-up subscription for the next waiter.
 * Nobody awaits it, so it must never reject: its errors are expected (the client may have been
 * closed meanwhile) and have nowhere to go, and under Node's default an unhandled rejection ends
 * the process. Each piece is tracked per backend, so `whenIdle` can wait for it.
 */
const pendingByBackend = new WeakMap<object, Set<Promise<void>>>();

const ignore = (): void => {};

/**
 * Runs `work` in the background for `owner` (the backend's engine view), swallowing whatever it
 * throws or rejects with. A function is called here, so a synchronous throw is swallowed too.
 */
export function inBackground(owner: object, work: (() => unknown) | PromiseLike<unknown>): void {
  const done = Promise.resolve()
    .then(() => (typeof work === "function" ? work() : work))
    .then(ignore, ignore);
  let pending = pendingByBackend.get(owner);
  if (!pending) {
    pending = new Set();
    pendingByBackend.set(owner, pending);
  }
  pending.add(done);
  const tracked = pending;
  void done.then(() => tracked.delete(done));
}

/** The background work of `owner` still running (a snapshot). */
export function pendingWork(owner: object): readonly Promise<void>[] {
  return [...(pendingByBackend.get(owner) ?? [])];
}

/**
 * Calls a function a driver or a custom backend handed to core (an unsubscribe, a watch's stop)
 * whose failure core cannot act on: a synchronous throw is swallowed, a returned promise is
 * observed, so neither can end the process.
 */
export function callQuietly(fn: (() => unknown) | undefined): void {
  if (!fn) return;
  try {
    const result = fn();
    if (isThenable(result)) result.then(ignore, ignore);
  } catch {
    // Nothing to do: the subscription is gone either way.
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
