import { LockError } from "./errors";

/**
 * One fixed tolerance for every backend (ADR-005): a lock stays live until its expiry plus this
 * margin, judged by the backend's time authority. It is not configurable, so a key means the same
 * thing on every backend.
 */
export const TIME_TOLERANCE_MS = 1000;

/** isLocked cleanup only deletes records expired for longer than this (never live ones). */
export const CLEANUP_GUARD_MS = TIME_TOLERANCE_MS + 1000;

/** Upper bound on any TTL: the longest delay a Node timer can hold (about 24.8 days). */
export const MAX_TTL_MS = 2_147_483_647;

/** The single liveness rule: live while now < expiresAtMs + tolerance. */
export function isLive(expiresAtMs: number, nowMs: number): boolean {
  return nowMs < expiresAtMs + TIME_TOLERANCE_MS;
}

/** True when a record may be removed by opportunistic cleanup. */
export function isPastCleanupGuard(expiresAtMs: number, nowMs: number): boolean {
  return nowMs - expiresAtMs > CLEANUP_GUARD_MS;
}

export function validateTtl(ttlMs: unknown, name = "ttlMs"): number {
  if (typeof ttlMs !== "number" || !Number.isInteger(ttlMs) || ttlMs <= 0 || ttlMs > MAX_TTL_MS) {
    throw new LockError(
      "InvalidArgument",
      `${name} must be a positive integer of milliseconds up to ${MAX_TTL_MS}, got ${describeValue(ttlMs)}`,
    );
  }
  return ttlMs;
}

/** A value as an error message shows it: strings quoted, so `"100"` does not read as `100`. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return `the string ${JSON.stringify(value.slice(0, 64))}`;
  if (typeof value === "bigint") return `the bigint ${value}`;
  return String(value);
}

/**
 * A source of wall-clock time in ms since the epoch. Used only where the wall clock is the
 * authority: expiry on client-authority backends. Injected in tests; `Date.now` otherwise.
 */
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();

/**
 * Milliseconds on a clock that never steps (CLOCK_MONOTONIC through `performance.now`). Every
 * local duration uses it: deadlines, round trips, waits, a lease's safe deadline (ADR-017). A wall
 * clock stepped back would otherwise stretch a deadline past the lease it protects.
 */
export type MonotonicClock = () => number;
export const monotonicClock: MonotonicClock = () => performance.now();
