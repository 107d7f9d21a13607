import type { LockDriver } from "./driver";
import { abortError, isLockError, LockError } from "./errors";
import { raceDeadline } from "./shared-timeout";
import type { BackendCapabilities } from "./types";

/**
 * Runs one driver call: errors become LockErrors (once, here), and the call ends no later than
 * the caller's signal. `onAbandoned` receives the driver's promise when the signal ended the call
 * first, so whoever started it can clean up after it (an acquire that lands anyway is released).
 */
export type DriverCall = <T>(
  operation: string,
  signal: AbortSignal | undefined,
  run: () => Promise<T>,
  onAbandoned?: (pending: Promise<T>) => void,
) => Promise<T>;

export function driverCall<C extends BackendCapabilities>(driver: LockDriver<C>): DriverCall {
  return async function call<T>(
    operation: string,
    signal: AbortSignal | undefined,
    run: () => Promise<T>,
    onAbandoned?: (pending: Promise<T>) => void,
  ): Promise<T> {
    let pending: Promise<T>;
    try {
      pending = run();
    } catch (error) {
      throw mapDriverError(driver, error, operation);
    }
    if (!signal) {
      try {
        return await pending;
      } catch (error) {
        throw mapDriverError(driver, error, operation);
      }
    }
    const outcome = await raceDeadline(pending, Number.POSITIVE_INFINITY, signal);
    if (outcome.by === "value") return outcome.value;
    if (outcome.by === "error") throw mapDriverError(driver, outcome.error, operation);
    // A driver that honours the signal itself answers within a turn, often saying more (whether
    // anything was written); prefer its account. Otherwise the call ends here.
    const own = await settledWithinATurn(pending);
    if (own?.by === "value") return own.value;
    if (own?.by === "error") throw mapDriverError(driver, own.error, operation);
    onAbandoned?.(pending);
    throw abortError(signal, operation);
  };
}

/** The promise's outcome if it settles before the next turn of the event loop. */
function settledWithinATurn<T>(
  pending: Promise<T>,
): Promise<{ by: "value"; value: T } | { by: "error"; error: unknown } | undefined> {
  return new Promise((resolve) => {
    const timer = setImmediate(() => resolve(undefined));
    pending.then(
      (value) => {
        clearImmediate(timer);
        resolve({ by: "value", value });
      },
      (error: unknown) => {
        clearImmediate(timer);
        resolve({ by: "error", error });
      },
    );
  });
}

/** A driver's error as a LockError: its own mapping, else `Internal` with the error as cause. */
export function mapDriverError<C extends BackendCapabilities>(
  driver: LockDriver<C>,
  error: unknown,
  operation: string,
): LockError {
  if (isLockError(error)) return error;
  const mapped = driver.toLockError?.(error, operation);
  if (mapped) return mapped;
  const detail = error instanceof Error ? error.message || error.name : String(error);
  return new LockError("Internal", `${operation} failed: ${detail || "unknown error"}`, {
    cause: error,
  });
}
