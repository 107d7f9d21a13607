import { isLockError, type LockContext, type LockFunction } from "@syncguard/core";
import {
  interruptibleSleep,
  type Logger,
  lockFunctionTraits,
  MAX_TTL_MS,
  TIME_TOLERANCE_MS,
} from "@syncguard/core/driver";
import { emit, reportFailure } from "./events";
import { jobKey, slotKey } from "./keys";
import type { JobSettings } from "./options";
import { eitherSignal } from "./signals";

/** What a scheduled job gets for one slot. */
export interface ScheduledRun {
  /** The job's name. */
  readonly name: string;
  /** The scheduled time this run belongs to (not the moment its trigger fired). */
  readonly slot: Date;
  /**
   * The fence of this run: strictly greater than the fence of every earlier run of the job, on
   * any instance. Pass it with the job's writes so a stale run is refused (see Fencing).
   */
  readonly fence: string;
  /**
   * Aborts with `LockError("LockLost")` when the run can no longer be sure it is the only one
   * (its lock was lost, or `maxHoldMs` passed). Pass it to the job's I/O.
   */
  readonly signal: AbortSignal;
}

/** One trigger of a job, as an adapter found it. */
export interface SlotTrigger {
  /** The scheduled time (ms since the epoch, by this instance's clock). */
  readonly slotMs: number;
  /** Triggers past this local time do not take part in the slot (they are `late`). */
  readonly acceptUntilMs: number;
}

export type SlotOutcome<T> =
  | { readonly ran: true; readonly value: T }
  | {
      readonly ran: false;
      /** `failed` is reported already; `closed`: `lock.close()` ended this trigger's part. */
      readonly status: "skipped" | "missed" | "late" | "failed" | "closed";
    };

/** Where a slot's outcomes go: the job's `onEvent`, and failures without one to the lock's logger. */
interface SlotReport {
  readonly job: JobSettings;
  readonly slot: Date;
  readonly logger: Logger | undefined;
  /** True when `error` is `lock.close()` ending a call: a shutdown, not a failure. */
  readonly isShutdown: (error: unknown) => boolean;
}

function slotReport(lock: LockFunction, job: JobSettings, slot: Date): SlotReport {
  const traits = lockFunctionTraits(lock);
  return {
    job,
    slot,
    logger: traits?.logger,
    isShutdown: (error) => traits?.closing.aborted === true && isLockError(error, "Aborted"),
  };
}

const reportFailed = (report: SlotReport, error: unknown): void =>
  reportFailure(report.job.onEvent, report.logger, {
    type: "failed",
    name: report.job.name,
    slot: report.slot,
    error,
  });

/**
 * Runs `work` for one slot at most once across instances (ADR-038):
 * 1. a trigger past `acceptUntilMs` takes no part (`late`);
 * 2. the first trigger to claim the slot's key runs it, every other one is `skipped`. The claim
 *    is held until `acceptUntilMs` plus the clock tolerance, even after the run, so a trigger on
 *    an instance whose clock is up to 1 s behind still finds it held; its lease covers that time
 *    from the start, so a claimant that crashes keeps the slot claimed too;
 * 3. the claimant takes the job's key (one run of a job at a time) and runs `work` with its fence.
 *
 * Resolves once the run is over and the job's key released; the claim is held on in the
 * background (the lock function's `close()` waits for it). Never rejects: a failure is reported
 * (`failed`) and resolves as such, so no scheduler's process dies of a failed slot; a call that
 * `lock.close()` ended resolves `closed`, reported `missed` only when this instance held the claim.
 */
export function runSlot<T>(
  lock: LockFunction,
  job: JobSettings,
  trigger: SlotTrigger,
  work: (run: ScheduledRun) => T | Promise<T>,
): Promise<SlotOutcome<T>> {
  const slot = new Date(trigger.slotMs);
  const report = slotReport(lock, job, slot);
  const late = (): SlotOutcome<T> => {
    emit(job.onEvent, { type: "late", name: job.name, slot, triggeredAt: new Date() });
    return { ran: false, status: "late" };
  };
  if (Date.now() >= trigger.acceptUntilMs) return Promise.resolve(late());
  const holdUntilMs = trigger.acceptUntilMs + TIME_TOLERANCE_MS;
  const claimTtlMs = Math.min(MAX_TTL_MS, Math.max(job.ttlMs, Math.ceil(holdUntilMs - Date.now())));
  // Bounded like any hold, though never reached by a run that honours its signal.
  const waitMs = job.overlap === "queue" ? job.maxWaitMs : 0;
  const claimMaxHoldMs = Number.isFinite(job.maxHoldMs)
    ? claimTtlMs + waitMs + job.maxHoldMs
    : Number.POSITIVE_INFINITY;

  return new Promise<SlotOutcome<T>>((resolve) => {
    // "settled": the trigger's outcome is out (a failure included, reported already).
    let state: "pending" | "settled" = "pending";
    const settle = (outcome: SlotOutcome<T>) => {
      state = "settled";
      resolve(outcome);
    };
    const claim = lock.ifFree(
      async (claimed) => {
        // Acquired late (a pause between the check above and the claim): the earliest claimant
        // may already have let go of the slot, so taking part now could run it twice.
        if (Date.now() >= trigger.acceptUntilMs) {
          settle(late());
        } else {
          try {
            settle(await runJob(lock, report, claimed, work));
          } catch (error) {
            reportFailed(report, error);
            settle({ ran: false, status: "failed" });
          }
        }
        const holdMs = holdUntilMs - Date.now();
        // Cut short only by the claim's loss, which the call then rejects with (LockLost).
        if (holdMs > 0) await interruptibleSleep(holdMs, claimed.signal).catch(() => {});
      },
      {
        key: slotKey(job.name, trigger.slotMs),
        ttlMs: claimTtlMs,
        autoExtend: true,
        maxHoldMs: claimMaxHoldMs,
      },
    );
    claim.then(
      (claimed) => {
        if (claimed.ran) return;
        emit(job.onEvent, { type: "skipped", name: job.name, slot });
        settle({ ran: false, status: "skipped" });
      },
      (error: unknown) => {
        // Before the run: the claim itself failed, or lock.close() refused or ended it (this
        // instance claimed nothing, so it has nothing to report). After it: the claim was lost
        // while held, and a late trigger elsewhere may now run the slot again; report it.
        if (state === "pending" && report.isShutdown(error)) {
          settle({ ran: false, status: "closed" });
          return;
        }
        reportFailed(report, error);
        if (state === "pending") settle({ ran: false, status: "failed" });
      },
    );
  });
}

/** The claimant's part: take the job's key (skip or queue), run the work with its fence. */
async function runJob<T>(
  lock: LockFunction,
  report: SlotReport,
  claimed: LockContext,
  work: (run: ScheduledRun) => T | Promise<T>,
): Promise<SlotOutcome<T>> {
  const { job, slot } = report;
  let fence: string | undefined;
  const body = async (held: LockContext): Promise<T> => {
    fence = held.fence;
    const joined = eitherSignal(claimed.signal, held.signal);
    try {
      return await work({ name: job.name, slot, fence: held.fence, signal: joined.signal });
    } finally {
      joined.dispose();
    }
  };
  const options = {
    key: jobKey(job.name),
    ttlMs: job.ttlMs,
    autoExtend: true,
    maxHoldMs: job.maxHoldMs,
  };
  let value: T;
  try {
    if (job.overlap === "skip") {
      const outcome = await lock.ifFree(body, options);
      if (!outcome.ran) {
        emit(job.onEvent, { type: "missed", name: job.name, slot, reason: "overlap" });
        return { ran: false, status: "missed" };
      }
      value = outcome.value;
    } else {
      value = await lock(body, {
        ...options,
        timeoutMs: job.maxWaitMs,
        // Waiting is bounded by maxWaitMs alone, however short the retry delays.
        maxRetries: Number.MAX_SAFE_INTEGER,
        signal: claimed.signal,
      });
    }
  } catch (error) {
    if (fence === undefined && isLockError(error, "AcquisitionTimeout")) {
      emit(job.onEvent, { type: "missed", name: job.name, slot, reason: "wait-timeout" });
      return { ran: false, status: "missed" };
    }
    // Shut down before the job started: this instance holds the claim, so the slot ran nowhere.
    if (fence === undefined && report.isShutdown(error)) {
      emit(job.onEvent, { type: "missed", name: job.name, slot, reason: "closed" });
      return { ran: false, status: "missed" };
    }
    throw error;
  }
  emit(job.onEvent, { type: "ran", name: job.name, slot, fence: fence as string });
  return { ran: true, value };
}
