/**
 * Fair handoff, process side. When this process releases a key that others were waiting for, a
 * new acquisition of that key from this process waits a short window first, so a woken waiter
 * (one publish plus one acquire away) gets the lock instead of the releaser taking it straight
 * back. Keyed per backend object so unrelated backends never affect each other.
 */
const windows = new WeakMap<object, Map<string, number>>();

/** Window length: about three release round trips, within sane bounds. */
export function handoffWindowMs(releaseRoundTripMs: number): number {
  return Math.min(50, Math.max(2, Math.ceil(3 * releaseRoundTripMs)));
}

export function openHandoffWindow(backend: object, key: string, untilMs: number): void {
  let byKey = windows.get(backend);
  if (!byKey) {
    byKey = new Map();
    windows.set(backend, byKey);
  }
  byKey.set(key, untilMs);
}

/** Milliseconds a new acquisition of `key` should wait before its first attempt (0 = none). */
export function handoffDelayMs(backend: object, key: string, nowMs: number): number {
  const byKey = windows.get(backend);
  const until = byKey?.get(key);
  if (until === undefined) return 0;
  if (until <= nowMs) {
    byKey?.delete(key);
    return 0;
  }
  return until - nowMs;
}
