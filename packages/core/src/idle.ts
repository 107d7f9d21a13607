import { checkBackendArgument } from "./backend-argument";
import { pendingWork } from "./background";
import { engineView } from "./engine-view";
import { abortError, LockError, throwIfAborted } from "./errors";
import { validateSignal } from "./input";
import { checkOptionNames } from "./option-names";
import { raceDeadline } from "./shared-timeout";
import { describeValue, monotonicClock } from "./time";
import type { BackendCapabilities, LockBackend } from "./types";

/** Options of `whenIdle`. */
export interface WhenIdleOptions {
  /** The longest wait, in ms (0 or more; `Infinity` for no bound). Default 5000. */
  timeoutMs?: number;
  /** Ends the wait with `LockError("Aborted")`. */
  signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 5_000;
const WHEN_IDLE_NAMES: ReadonlySet<string> = new Set(["timeoutMs", "signal"]);

/**
 * Waits until the work this copy of core does in the background for `backend` has finished:
 * releases of attempts abandoned in flight (retried until the lock would have expired anyway),
 * withdrawals of waiters that gave up from the store's queue, and wake-up subscriptions kept for
 * the next waiter (`watchLingerMs`). Resolves `true` once none is left, `false` when `timeoutMs`
 * passes first. Work that starts while waiting is waited for too.
 *
 * For a graceful shutdown: settle the `lock()` calls, `await whenIdle(backend)`, then close the
 * backend and the client. Closing earlier is safe (the work then fails quietly and the locks
 * expire by their TTL), only less tidy.
 */
export async function whenIdle<C extends BackendCapabilities>(
  backend: LockBackend<C>,
  options: WhenIdleOptions = {},
): Promise<boolean> {
  checkBackendArgument(backend, "whenIdle()");
  if (options === null || typeof options !== "object") {
    throw new LockError("InvalidArgument", "whenIdle options must be an object");
  }
  checkOptionNames(options, WHEN_IDLE_NAMES, "whenIdle() options");
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (typeof timeoutMs !== "number" || Number.isNaN(timeoutMs) || timeoutMs < 0) {
    throw new LockError(
      "InvalidArgument",
      `whenIdle timeoutMs must be a number of ms, 0 or more (Infinity for no bound), got ${describeValue(timeoutMs)}`,
    );
  }
  const signal = validateSignal(options.signal);
  throwIfAborted(signal, "whenIdle");
  const view = engineView(backend);
  const deadline = monotonicClock() + timeoutMs;
  // The background work's own timers are unref'd (they must never keep a process alive), but
  // whoever awaits this is waiting on purpose: keep the process running until the wait ends.
  const keepAlive = setInterval(() => {}, 60_000);
  try {
    for (;;) {
      const pending = pendingWork(view);
      if (pending.length === 0) return true;
      const outcome = await raceDeadline(Promise.all(pending), deadline, signal);
      if (outcome.by === "abort") throw abortError(signal as AbortSignal, "whenIdle");
      if (outcome.by === "deadline") return false;
    }
  } finally {
    clearInterval(keepAlive);
  }
}
