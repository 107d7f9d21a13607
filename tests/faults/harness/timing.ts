/**
 * Monotonic time (CLOCK_MONOTONIC, shared by every process on the machine) and deadline-bound
 * waiting. Never Date.now: the clock scenarios shift it.
 */

/** Nanoseconds since an arbitrary, system-wide origin. */
export function monoNs(): bigint {
  return process.hrtime.bigint();
}

/** Milliseconds since an arbitrary, system-wide origin, as a float. */
export function monoMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Milliseconds elapsed since `startMs` (a `monoMs()` value), rounded to 0.1 ms. */
export function elapsedSince(startMs: number): number {
  return Math.round((monoMs() - startMs) * 10) / 10;
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` until it returns a non-undefined value; throws with `what` after `deadlineMs`.
 * `check` errors count as "not yet" and the last one is reported.
 */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  { deadlineMs = 10_000, intervalMs = 20 }: { deadlineMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const start = monoMs();
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (monoMs() - start > deadlineMs) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new Error(`${what}: not reached within ${deadlineMs} ms${why}`);
    }
    await delay(intervalMs);
  }
}

export type Settlement<T> =
  | { settled: true; ok: true; value: T; ms: number }
  | { settled: true; ok: false; error: unknown; ms: number }
  | { settled: false; ms: number };

/**
 * Waits for `promise` but at most `watchdogMs`; reports how it settled and when (ms since
 * `startMs`). A watchdog well past the bound under test turns a hang into a clear failure
 * instead of a jest timeout.
 */
export async function settleWithin<T>(
  promise: Promise<T>,
  watchdogMs: number,
  startMs = monoMs(),
): Promise<Settlement<T>> {
  let timer: NodeJS.Timeout | undefined;
  const watchdog = new Promise<"pending">((resolve) => {
    timer = setTimeout(() => resolve("pending"), Math.max(0, watchdogMs - (monoMs() - startMs)));
  });
  try {
    const outcome = await Promise.race([
      promise.then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
      watchdog,
    ]);
    const ms = elapsedSince(startMs);
    if (outcome === "pending") return { settled: false, ms };
    return outcome.ok
      ? { settled: true, ok: true, value: outcome.value, ms }
      : { settled: true, ok: false, error: outcome.error, ms };
  } finally {
    clearTimeout(timer);
  }
}
