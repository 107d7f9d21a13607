/**
 * Finding the slot a trigger belongs to from a schedule's "next time after" function: the latest
 * scheduled time at or before the trigger. Neither croner nor cron tells a tick which scheduled
 * time fired it (both record the moment they fired), so the slot is computed from the pattern.
 */

/** The first scheduled time strictly after `ms`, or null when the schedule has no more. */
export type NextAfter = (ms: number) => number | null;

const ONE_HOUR_MS = 3_600_000;
/** Enough steps for an hour of a schedule that fires every second. */
const MAX_STEPS = 4_000;

/** The latest scheduled time in `(atMs - withinMs - 1, atMs]`, or undefined. */
function latestWithin(nextAfter: NextAfter, atMs: number, withinMs: number): number | undefined {
  let found: number | undefined;
  let next = nextAfter(atMs - withinMs - 1);
  for (let step = 0; next !== null && next <= atMs && step < MAX_STEPS; step++) {
    found = next;
    next = nextAfter(next);
  }
  return found;
}

/**
 * The slot of a trigger at `atMs`: the latest scheduled time at or before it, searched first
 * within `lateAfterMs` (a trigger with no slot that recent is late anyway), then, only to name
 * the slot in the `late` event, within the hour before.
 */
export function slotOfTrigger(
  nextAfter: NextAfter,
  atMs: number,
  lateAfterMs: number,
): number | undefined {
  return (
    latestWithin(nextAfter, atMs, lateAfterMs) ??
    latestWithin(nextAfter, atMs, Math.max(ONE_HOUR_MS, lateAfterMs))
  );
}
