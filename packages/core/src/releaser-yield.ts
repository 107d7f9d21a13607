/**
 * The releaser's yield (fair hand-off, specs/interface.md §8.3, mechanism 3). When this process
 * releases a key that others were waiting for, a new acquisition of that key from this process
 * waits a short yield window first, so a woken waiter (one notification plus one acquire away)
 * gets the lock instead of the releaser taking it straight back. Not to be confused with a
 * backend's reservation window (Redis: 250 ms), which holds a released key for one named waiter.
 * Keyed per backend so unrelated backends never affect each other.
 */
const windows = new WeakMap<object, Windows>();

interface Windows {
  readonly byKey: Map<string, number>;
  /** Size at which opening a window first drops the closed ones (amortized O(1) per window). */
  sweepAt: number;
}

/** Yield window length: about three release round trips, within sane bounds. */
export function yieldWindowMs(releaseRoundTripMs: number): number {
  return Math.min(50, Math.max(2, Math.ceil(3 * releaseRoundTripMs)));
}

const FIRST_SWEEP_AT = 64;

/** `nowMs`, `untilMs` and every other time here are on the monotonic clock. */
export function openYieldWindow(
  backend: object,
  key: string,
  nowMs: number,
  untilMs: number,
): void {
  let state = windows.get(backend);
  if (!state) {
    state = { byKey: new Map(), sweepAt: FIRST_SWEEP_AT };
    windows.set(backend, state);
  }
  // Windows last at most 50 ms; without a sweep, every key ever released under contention and
  // never acquired again would keep its entry (and its key string) for the process's lifetime.
  if (state.byKey.size >= state.sweepAt) {
    for (const [other, until] of state.byKey) if (until <= nowMs) state.byKey.delete(other);
    state.sweepAt = Math.max(FIRST_SWEEP_AT, 2 * state.byKey.size);
  }
  state.byKey.set(key, untilMs);
}

/** Windows a backend holds, closed ones not yet swept included (for tests). */
export function yieldWindowCount(backend: object): number {
  return windows.get(backend)?.byKey.size ?? 0;
}

/** Milliseconds a new acquisition of `key` should wait before its first attempt (0 = none). */
export function yieldDelayMs(backend: object, key: string, nowMs: number): number {
  const byKey = windows.get(backend)?.byKey;
  const until = byKey?.get(key);
  if (until === undefined) return 0;
  if (until <= nowMs) {
    byKey?.delete(key);
    return 0;
  }
  return until - nowMs;
}
