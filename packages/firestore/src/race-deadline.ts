import { monotonicClock } from "@syncguard/core";

/**
 * Stand-in for core's `raceDeadline` (packages/core/src/shared-timeout.ts), which core does not
 * export yet; same signature and outcomes, so switching to core's is an import change. Once core
 * exports it, delete this module.
 */

/** How a raced promise ended: its own outcome, or the deadline, or the signal, whichever came first. */
export type RaceOutcome<T> =
  | { readonly by: "value"; readonly value: T }
  | { readonly by: "error"; readonly error: unknown }
  | { readonly by: "deadline" }
  | { readonly by: "abort" };

/**
 * Waits for `promise`, but no longer than until `deadline` (a `monotonicClock()` reading) and not
 * past an abort of `signal`. Never rejects; the promise keeps running when the race is lost.
 */
export function raceDeadline<T>(
  promise: Promise<T>,
  deadline: number,
  signal?: AbortSignal,
): Promise<RaceOutcome<T>> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (outcome: RaceOutcome<T>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve(outcome);
    };
    const onAbort = () => finish({ by: "abort" });
    const timer = setTimeout(
      () => finish({ by: "deadline" }),
      Math.max(0, deadline - monotonicClock()),
    );
    timer.unref?.();
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => finish({ by: "value", value }),
      (error: unknown) => finish({ by: "error", error }),
    );
  });
}
