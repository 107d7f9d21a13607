import { LockError, type LockFunction } from "@syncguard/core";
import { emit } from "./events";
import { type JobSettings, type RunOnceOptions, resolveRunOnceOptions } from "./options";
import { runSlot, type ScheduledRun } from "./run-slot";
import { type NextAfter, slotOfTrigger } from "./slot-time";

/**
 * What {@link runOnce} reads from a croner job (`Cron` from croner 11), which passes itself to
 * its callback. Structural, so this package needs no croner types.
 */
export interface CronerJobLike {
  /** When the current run fired (croner records the moment, not the scheduled time). */
  currentRun(): Date | null;
  /** The first scheduled time after `prev`, or null (also on the last run of `maxRuns`). */
  nextRun(prev?: Date): Date | null;
  /** Scheduled times before `reference`, latest first. */
  previousRuns(n: number, reference?: Date): Date[];
}

/**
 * What {@link runOnce} reads from a cron (kelektiv) `CronJob`, the `this` of its `onTick` unless
 * the job was given a `context`.
 */
export interface CronJobLike {
  /** When the current run fired (cron records the moment, not the scheduled time). */
  lastDate(): Date | null;
  readonly cronTime: {
    /** The job's `timeZone` option: its schedule is read in that zone. */
    readonly timeZone?: string;
    /** The job's `utcOffset` option (minutes): its schedule is read at that offset. */
    readonly utcOffset?: number;
    /** The first scheduled time after `start`, read in `timeZone` (else `start`'s zone, local). */
    getNextDateFrom(start: Date, timeZone?: string): { toMillis(): number };
  };
}

/**
 * The zone a cron job's schedule is read in, as cron names it when it schedules the job:
 * `timeZone`, or `UTC±hh:mm` for `utcOffset`; undefined for the machine's own.
 */
function cronZone(cronTime: CronJobLike["cronTime"]): string | undefined {
  if (cronTime.timeZone) return cronTime.timeZone;
  const offset = cronTime.utcOffset;
  if (typeof offset !== "number") return undefined;
  const hours = Math.trunc(offset / 60);
  const minutes = Math.abs(offset - hours * 60);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `UTC${offset < 0 ? "-" : "+"}${pad(Math.abs(hours))}:${pad(minutes)}`;
}

/**
 * The function {@link runOnce} returns: a croner callback, a cron `onTick`, or a function to call
 * with the scheduled time yourself (`tick(date)`). Resolves when this instance's part of the slot
 * is over: ran, skipped, missed, late, or failed (the job's or the store's error goes to
 * `onEvent`, else to the lock function's logger; it never rejects the tick, so no scheduler's
 * process dies of it). Rejects only with `LockError("InvalidArgument")`, before any I/O, when it
 * cannot tell its slot.
 */
export type ScheduledTick = (this: unknown, job?: unknown, ...rest: unknown[]) => Promise<void>;

const isDate = (value: unknown): value is Date =>
  Object.prototype.toString.call(value) === "[object Date]";

function isCronerJob(value: unknown): value is CronerJobLike {
  const job = value as CronerJobLike | null;
  return (
    typeof job === "object" &&
    job !== null &&
    typeof job.currentRun === "function" &&
    typeof job.nextRun === "function" &&
    typeof job.previousRuns === "function"
  );
}

function isCronJob(value: unknown): value is CronJobLike {
  const job = value as CronJobLike | null;
  return (
    typeof job === "object" &&
    job !== null &&
    typeof job.lastDate === "function" &&
    typeof job.cronTime?.getNextDateFrom === "function"
  );
}

/**
 * Where the tick's slot comes from: the scheduled time itself, or a schedule and a fire time
 * (with a second way to the latest scheduled time, where the schedule has one).
 */
type SlotSource =
  | { slotMs: number }
  | { nextAfter: NextAfter; firedAtMs: number; latest?: () => number | undefined };

function slotSource(self: unknown, first: unknown): SlotSource | undefined {
  if (isDate(first)) return Number.isNaN(first.getTime()) ? undefined : { slotMs: first.getTime() };
  if (isCronerJob(first)) {
    const firedAtMs = first.currentRun()?.getTime() ?? Date.now();
    return {
      nextAfter: (ms) => first.nextRun(new Date(ms))?.getTime() ?? null,
      firedAtMs,
      // croner has no next run on the last run of maxRuns; its previous runs still count
      // (though not with its interval option, which the first way handles).
      latest: () => first.previousRuns(1, new Date(firedAtMs + 1))[0]?.getTime(),
    };
  }
  for (const candidate of [first, self]) {
    if (isCronJob(candidate)) {
      // cron reads the schedule in the job's zone when it fires it; so must the slot search.
      const zone = cronZone(candidate.cronTime);
      return {
        nextAfter: (ms) => candidate.cronTime.getNextDateFrom(new Date(ms), zone).toMillis(),
        firedAtMs: candidate.lastDate()?.getTime() ?? Date.now(),
      };
    }
  }
  return undefined;
}

/** Runs one trigger: finds its slot, then runs it once across instances. */
async function tickOnce<T>(
  lock: LockFunction,
  job: JobSettings,
  source: SlotSource,
  fn: (run: ScheduledRun) => T | Promise<T>,
): Promise<void> {
  const slotMs =
    "slotMs" in source
      ? source.slotMs
      : (slotOfTrigger(source.nextAfter, source.firedAtMs, job.lateAfterMs) ?? source.latest?.());
  if (slotMs === undefined) {
    emit(job.onEvent, { type: "late", name: job.name, triggeredAt: new Date() });
    return;
  }
  await runSlot(lock, job, { slotMs, acceptUntilMs: slotMs + job.lateAfterMs }, fn);
}

/**
 * Checks {@link runOnce} options without a lock: throws `LockError("InvalidArgument")` where
 * `runOnce()` would. For integrations that take the options long before the lock (a decorator);
 * `label` is how messages name the options.
 */
export function checkRunOnceOptions(options: RunOnceOptions, label = "runOnce() options"): void {
  resolveRunOnceOptions(options, label);
}

/**
 * Wraps a job so that each of its scheduled slots runs once across every instance that schedules
 * it, keyed by the job's name and the slot's scheduled time (ADR-038):
 *
 * ```ts
 * new Cron("0 * * * * *", runOnce(lock, { name: "sweep", ttlMs: 30_000 }, sweep)); // croner
 * CronJob.from({ cronTime: "0 * * * * *", onTick: runOnce(lock, { name: "sweep", ttlMs: 30_000 }, sweep), start: true }); // cron
 * ```
 *
 * The job gets a {@link ScheduledRun}: its slot, its fence and a signal. Options are checked
 * here, before any I/O.
 */
export function runOnce<T>(
  lock: LockFunction,
  options: RunOnceOptions,
  fn: (run: ScheduledRun) => T | Promise<T>,
): ScheduledTick {
  if (typeof lock !== "function" || typeof lock.ifFree !== "function") {
    throw new LockError(
      "InvalidArgument",
      "runOnce() needs a lock function (createLock from @syncguard/core or a store package) as its first argument",
    );
  }
  const job = resolveRunOnceOptions(options, "runOnce() options");
  if (typeof fn !== "function") {
    throw new LockError("InvalidArgument", "runOnce() needs the job as its third argument");
  }
  return async function scheduledTick(this: unknown, first?: unknown): Promise<void> {
    const source = slotSource(this, first);
    if (source === undefined) {
      throw new LockError(
        "InvalidArgument",
        isDate(first)
          ? `runOnce() tick of "${job.name}" was called with an invalid Date: pass the scheduled time of the slot (tick(date))`
          : `runOnce() tick of "${job.name}" cannot tell which slot fired: use it as a croner callback (new Cron(pattern, tick)), as a cron onTick without a context option, or call it with the scheduled time (tick(date))`,
      );
    }
    await tickOnce(lock, job, source, fn);
  };
}
