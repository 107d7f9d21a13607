import { LockError } from "@syncguard/core";
import { checkOptionNames, MAX_TTL_MS, normalizeKey, validateTtl } from "@syncguard/core/driver";
import type { ScheduleEventHandler } from "./events";
import { slotKey } from "./keys";

/** What a slot does when the job's previous run (on any instance) still holds the job. */
export type Overlap = "skip" | "queue";

/** Options every scheduler integration takes. */
export interface ScheduleOptions {
  /**
   * When the previous run of the job still runs, on this instance or another: `"skip"` (default)
   * reports the slot as `missed`; `"queue"` waits for that run to end (up to `maxWaitMs`), then
   * runs. Runs of one job never overlap either way.
   */
  overlap?: Overlap;
  /**
   * With `overlap: "queue"`: how long a slot waits for the previous run before it is reported
   * `missed` (reason `wait-timeout`). Default: `maxHoldMs` (1 hour), the longest a run can hold.
   */
  maxWaitMs?: number;
  /**
   * How long after its scheduled time a trigger may still take part (ms, default 2000). A later
   * trigger is reported `late` and not run. Each slot's claim is held until `lateAfterMs` plus
   * the 1 s clock tolerance past the slot, so instances whose clocks differ by up to 1 s share
   * one run.
   */
  lateAfterMs?: number;
  /**
   * Longest a run may hold the job (ms, or `Infinity`): past it the run's `signal` aborts with
   * `LockLost`, as with `lock()`. Default 1 hour, or `ttlMs` if longer.
   */
  maxHoldMs?: number;
  /** Receives what happened to each trigger: ran, skipped, missed, late, failed. */
  onEvent?: ScheduleEventHandler;
}

/** Options of {@link runOnce}: the job's name and lease, plus the shared options. */
export interface RunOnceOptions extends ScheduleOptions {
  /** The job's name: every instance running the same job must use the same one. */
  name: string;
  /**
   * Lease of the run (ms): renewed while the job works, so this is how long a crashed run keeps
   * the job from running again, not a limit on the work.
   */
  ttlMs: number;
}

/** Options of {@link createRunCoordinator}: node-cron gives each task's name and lease. */
export type RunCoordinatorOptions = ScheduleOptions;

/** The shared options, resolved. */
export interface ScheduleSettings {
  readonly overlap: Overlap;
  /** Undefined: `maxHoldMs` of the job, once its lease is known. */
  readonly maxWaitMs: number | undefined;
  readonly lateAfterMs: number;
  /** Undefined: the default, 1 hour or the job's lease if longer. */
  readonly maxHoldMs: number | undefined;
  readonly onEvent: ScheduleEventHandler | undefined;
}

/** Everything one job needs, resolved. */
export interface JobSettings {
  readonly name: string;
  readonly ttlMs: number;
  readonly overlap: Overlap;
  readonly maxWaitMs: number;
  readonly lateAfterMs: number;
  readonly maxHoldMs: number;
  readonly onEvent: ScheduleEventHandler | undefined;
}

export const DEFAULT_LATE_AFTER_MS = 2_000;
const DEFAULT_MAX_HOLD_MS = 3_600_000;

const SHARED_NAMES = ["overlap", "maxWaitMs", "lateAfterMs", "maxHoldMs", "onEvent"];
const RUN_ONCE_NAMES: ReadonlySet<string> = new Set(["name", "ttlMs", ...SHARED_NAMES]);
const COORDINATOR_NAMES: ReadonlySet<string> = new Set(SHARED_NAMES);

const OVERLAP_ADVICE =
  'runs of a job never overlap across instances: choose overlap "skip" or "queue"';
const FOREIGN_NAMES: Readonly<Record<string, string>> = Object.freeze({
  key: "the lock keys are made from name and each slot (ADR-038): set name",
  timeoutMs: 'a slot claim is one attempt; with overlap: "queue" set maxWaitMs',
  noOverlap: OVERLAP_ADVICE,
  protect: OVERLAP_ADVICE,
  waitForCompletion: OVERLAP_ADVICE,
  autoExtend: "runs are always renewed while the job works (bounded by maxHoldMs)",
});
const COORDINATOR_FOREIGN_NAMES: Readonly<Record<string, string>> = Object.freeze({
  ...FOREIGN_NAMES,
  name: "node-cron gives each task's name: set it in cron.schedule(pattern, task, { name })",
  ttlMs: "node-cron gives each task's lease: set distributedLease in cron.schedule() options",
});

function positiveInteger(value: unknown, name: string, where: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > MAX_TTL_MS) {
    throw new LockError(
      "InvalidArgument",
      `${where}: ${name} must be a positive integer of milliseconds up to ${MAX_TTL_MS}, got ${String(value)}`,
    );
  }
  return value;
}

function resolveShared(options: ScheduleOptions, where: string): ScheduleSettings {
  const overlap = options.overlap ?? "skip";
  if (overlap !== "skip" && overlap !== "queue") {
    throw new LockError(
      "InvalidArgument",
      `${where}: overlap must be "skip" or "queue", got ${JSON.stringify(overlap)}`,
    );
  }
  if (options.maxWaitMs !== undefined && overlap !== "queue") {
    throw new LockError(
      "InvalidArgument",
      `${where}: maxWaitMs only applies with overlap: "queue" (a skipped slot never waits)`,
    );
  }
  const maxHoldMs = options.maxHoldMs;
  if (
    maxHoldMs !== undefined &&
    maxHoldMs !== Number.POSITIVE_INFINITY &&
    (typeof maxHoldMs !== "number" || !Number.isInteger(maxHoldMs) || maxHoldMs < 1)
  ) {
    throw new LockError(
      "InvalidArgument",
      `${where}: maxHoldMs must be Infinity or a positive integer of milliseconds, got ${String(maxHoldMs)}`,
    );
  }
  if (options.onEvent !== undefined && typeof options.onEvent !== "function") {
    throw new LockError(
      "InvalidArgument",
      `${where}: onEvent must be a function, got ${typeof options.onEvent}`,
    );
  }
  return {
    overlap,
    maxWaitMs:
      options.maxWaitMs === undefined
        ? undefined
        : positiveInteger(options.maxWaitMs, "maxWaitMs", where),
    lateAfterMs:
      options.lateAfterMs === undefined
        ? DEFAULT_LATE_AFTER_MS
        : positiveInteger(options.lateAfterMs, "lateAfterMs", where),
    maxHoldMs,
    onEvent: options.onEvent,
  };
}

function checkObject(options: unknown, where: string): asserts options is object {
  if (options === null || typeof options !== "object") {
    throw new LockError("InvalidArgument", `${where} must be an object`);
  }
}

/** The shared options of a run coordinator, checked before any I/O. */
export function resolveCoordinatorOptions(options: unknown, where: string): ScheduleSettings {
  checkObject(options, where);
  checkOptionNames(options, COORDINATOR_NAMES, where, COORDINATOR_FOREIGN_NAMES);
  return resolveShared(options as ScheduleOptions, where);
}

/**
 * A job's name and lease over shared settings: the name must make valid keys. `leaseName` is
 * what the caller calls the lease (node-cron: `distributedLease`), so messages name what was set.
 */
export function jobSettings(
  shared: ScheduleSettings,
  name: unknown,
  ttlMs: unknown,
  where: string,
  leaseName = "ttlMs",
): JobSettings {
  if (typeof name !== "string" || name.length === 0) {
    throw new LockError(
      "InvalidArgument",
      `${where}: name must be a non-empty string (the job's name, the same on every instance)`,
    );
  }
  // The longest key a job uses is a slot key: a name too long for it fails here, not at a tick.
  normalizeKey(slotKey(name, 0));
  const ttl = validateTtl(ttlMs, `${where}: ${leaseName}`);
  const maxHoldMs = shared.maxHoldMs ?? Math.max(DEFAULT_MAX_HOLD_MS, ttl);
  if (maxHoldMs < ttl) {
    throw new LockError(
      "InvalidArgument",
      `${where}: maxHoldMs (${maxHoldMs}) must be at least ${leaseName} (${ttl})`,
    );
  }
  const maxWaitMs =
    shared.maxWaitMs ?? (Number.isFinite(maxHoldMs) ? Math.min(maxHoldMs, MAX_TTL_MS) : MAX_TTL_MS);
  return {
    name,
    ttlMs: ttl,
    overlap: shared.overlap,
    maxWaitMs,
    lateAfterMs: shared.lateAfterMs,
    maxHoldMs,
    onEvent: shared.onEvent,
  };
}

/** {@link runOnce}'s options, checked before any I/O. */
export function resolveRunOnceOptions(options: unknown, where: string): JobSettings {
  checkObject(options, where);
  checkOptionNames(options, RUN_ONCE_NAMES, where, FOREIGN_NAMES);
  const given = options as RunOnceOptions;
  return jobSettings(resolveShared(given, where), given.name, given.ttlMs, where);
}
