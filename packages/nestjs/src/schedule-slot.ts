import "reflect-metadata";
import { LockError } from "@syncguard/core";
import type { CronJobLike } from "@syncguard/schedule";
import { CronTime } from "cron";

// The metadata keys @nestjs/schedule's @Cron(), @Interval() and @Timeout() set on a method
// (its schedule.constants, not exported by the package).
const CRON_OPTIONS = "SCHEDULE_CRON_OPTIONS";
const INTERVAL_OPTIONS = "SCHEDULE_INTERVAL_OPTIONS";
const TIMEOUT_OPTIONS = "SCHEDULE_TIMEOUT_OPTIONS";

/** How a method's trigger tells `runOnce` its slot, and the slot's default acceptance window. */
export interface SlotReader {
  /** Called at the trigger: a scheduled time, or a cron job view to find it from. */
  readonly read: () => Date | CronJobLike;
  /** `lateAfterMs` unless the decorator sets it. */
  readonly lateAfterMs: number | undefined;
}

interface CronMetadata {
  cronTime?: unknown;
  timeZone?: string;
  utcOffset?: number;
}

const hasToMillis = (value: unknown): value is { toMillis(): number } =>
  typeof (value as { toMillis?: unknown } | null)?.toMillis === "function";

function cronReader(metadata: CronMetadata, label: string): SlotReader {
  const { cronTime, timeZone, utcOffset } = metadata;
  // A one-off @Cron(date): its only slot is that time.
  if (cronTime instanceof Date || hasToMillis(cronTime)) {
    const slotMs = cronTime instanceof Date ? cronTime.getTime() : cronTime.toMillis();
    return { read: () => new Date(slotMs), lateAfterMs: undefined };
  }
  let time: CronTime;
  try {
    // The same parser @nestjs/schedule schedules the method with, so both agree on every slot.
    time =
      utcOffset !== undefined
        ? new CronTime(cronTime as string, null, utcOffset)
        : new CronTime(cronTime as string, timeZone);
  } catch (error) {
    throw new LockError(
      "InvalidArgument",
      `${label}: cron expression ${JSON.stringify(cronTime)} cannot be read: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return {
    // Read synchronously when cron fires the tick: this moment is the fire time.
    read: () => {
      const firedAt = new Date();
      return { lastDate: () => firedAt, cronTime: time };
    },
    lateAfterMs: undefined,
  };
}

/**
 * An interval's slot: the window of `intervalMs` since the epoch the trigger falls in. Each
 * instance's timer fires about once per window wherever it started, so the whole window is
 * accepted by default (`lateAfterMs` = the interval).
 */
function intervalReader(intervalMs: number): SlotReader {
  return {
    read: () => new Date(Math.floor(Date.now() / intervalMs) * intervalMs),
    lateAfterMs: intervalMs,
  };
}

/** The slot reader of a method @nestjs/schedule schedules, or an error saying what is missing. */
export function slotReaderOf(method: object, label: string): SlotReader {
  const cron = Reflect.getMetadata(CRON_OPTIONS, method) as CronMetadata | undefined;
  if (cron !== undefined) return cronReader(cron, label);
  const interval = Reflect.getMetadata(INTERVAL_OPTIONS, method) as
    | { timeout?: unknown }
    | undefined;
  if (interval !== undefined) {
    const ms = interval.timeout;
    if (typeof ms !== "number" || !Number.isInteger(ms) || ms < 1) {
      throw new LockError(
        "InvalidArgument",
        `${label}: @Interval() needs a positive integer of milliseconds, got ${String(ms)}`,
      );
    }
    return intervalReader(ms);
  }
  if (Reflect.getMetadata(TIMEOUT_OPTIONS, method) !== undefined) {
    throw new LockError(
      "InvalidArgument",
      `${label}: @Timeout() fires once per application start, at a different time on each instance, so it has no shared slot: use @Cron() or @Interval()`,
    );
  }
  throw new LockError(
    "InvalidArgument",
    `${label}: the method has no @Cron() or @Interval() of @nestjs/schedule (add one; either order works)`,
  );
}
