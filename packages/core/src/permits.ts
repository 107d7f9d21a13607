import { LockError } from "./errors";
import { describeValue } from "./time";

/** The most permits a semaphore may have (a store keeps one record per live permit). */
export const MAX_PERMITS = 1000;

/** Checks a `permits` option before any I/O. */
export function validatePermits(value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > MAX_PERMITS) {
    throw new LockError(
      "InvalidArgument",
      `permits must be an integer from 1 to ${MAX_PERMITS}, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** What a driver throws when a permit attempt's `permits` differs from its live holders'. */
export function permitsMismatchError(key: string, live: number, asked: number): LockError {
  return new LockError(
    "InvalidArgument",
    `Semaphore ${JSON.stringify(key.slice(0, 64))} has permits ${live} while permits of it are live; ` +
      `this call asked for ${asked}: every caller of a semaphore key must pass the same permits`,
    { key },
  );
}
