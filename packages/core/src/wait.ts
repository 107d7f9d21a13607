import { onAbort } from "./abort-listeners";
import { abortError } from "./errors";

/**
 * A timer that Node will not stay alive for. Lock timers must never keep a process running
 * after the user's work is done.
 */
export function unrefTimer(callback: () => void, ms: number): ReturnType<typeof setTimeout> {
  const timer = setTimeout(callback, Math.max(0, ms));
  timer.unref?.();
  return timer;
}

/**
 * Waits `ms`, or less if `wake` is triggered, and rejects with `LockError("Aborted")` within the
 * same event-loop turn as an abort of `signal`.
 */
export function interruptibleSleep(
  ms: number,
  signal: AbortSignal | undefined,
  wake?: { onWake: (resolve: () => void) => () => void },
  what = "Lock acquisition",
): Promise<"timer" | "wake"> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal, what));
      return;
    }
    let cancelWake: (() => void) | undefined;
    let stopListening: (() => void) | undefined;
    const finish = (how: "timer" | "wake") => {
      clearTimeout(timer);
      stopListening?.();
      cancelWake?.();
      resolve(how);
    };
    const aborted = () => {
      clearTimeout(timer);
      cancelWake?.();
      reject(abortError(signal as AbortSignal, what));
    };
    // Referenced on purpose: a caller waiting for a lock is pending work, and the process must
    // not exit in the middle of the wait (lease timers, in contrast, are unref'd).
    const timer = setTimeout(() => finish("timer"), Math.max(0, ms));
    if (signal) stopListening = onAbort(signal, aborted);
    cancelWake = wake?.onWake(() => finish("wake"));
  });
}
