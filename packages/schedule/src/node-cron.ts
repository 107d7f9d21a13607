import { LockError, type LockFunction } from "@syncguard/core";
import { parseCoordinationKey } from "./keys";
import { jobSettings, type RunCoordinatorOptions, resolveCoordinatorOptions } from "./options";
import { runSlot, type ScheduledRun, type SlotOutcome } from "./run-slot";

/**
 * What node-cron 4 passes to a task (its `TaskContext`), as far as {@link RunCoordinator.task}
 * reads it. Structural, so this package needs no node-cron types.
 */
export interface NodeCronTaskContext {
  /** The slot this execution belongs to. */
  readonly date: Date;
  readonly task?: { readonly name?: string };
}

/**
 * node-cron 4's `RunCoordinator` on a SyncGuard lock function: give it to a task with
 * `{ name, distributed: true, runCoordinator }` (or to `cron.setRunCoordinator()` for all), and
 * each slot of the task runs on one instance only.
 */
export interface RunCoordinator {
  /**
   * node-cron asks before each scheduled execution, with `<task name>:<slot as ISO>` and the
   * task's `distributedLease`: true when this instance claimed the slot and holds the job.
   */
  shouldRun(key: string, ttlMs: number): Promise<boolean>;
  /** node-cron reports the execution is over: the job is released (the slot stays claimed). */
  onComplete(key: string): Promise<void>;
  /**
   * Wraps a task function so it receives its {@link ScheduledRun} (slot, fence, signal) before
   * node-cron's own context, and so its error makes the slot `failed` (node-cron catches the
   * error and logs it; the coordinator sees only what this wrapper sees). Only for executions
   * this coordinator let through: a direct `task.execute()` is not coordinated and is refused.
   */
  task<T>(
    fn: (run: ScheduledRun, context: NodeCronTaskContext) => T | Promise<T>,
  ): (context: NodeCronTaskContext) => Promise<T>;
}

/** One execution node-cron was allowed to start, until it reports completion. */
interface HeldRun {
  run?: ScheduledRun;
  /**
   * What the task function threw (seen by `coordinator.task()`): node-cron catches it and still
   * calls `onComplete`, so the run learns it here.
   */
  failure?: { error: unknown };
  finish(): void;
  outcome?: Promise<SlotOutcome<void>>;
}

/**
 * Creates a node-cron 4 run coordinator on `lock` (ADR-038):
 *
 * ```ts
 * const coordinator = createRunCoordinator(lock);
 * cron.schedule("0 * * * *", coordinator.task(({ fence }) => sweep(fence)), {
 *   name: "sweep", distributed: true, runCoordinator: coordinator,
 * });
 * ```
 */
export function createRunCoordinator(
  lock: LockFunction,
  options: RunCoordinatorOptions = {},
): RunCoordinator {
  if (typeof lock !== "function" || typeof lock.ifFree !== "function") {
    throw new LockError(
      "InvalidArgument",
      "createRunCoordinator() needs a lock function (createLock from @syncguard/core or a store package) as its first argument",
    );
  }
  const shared = resolveCoordinatorOptions(options, "createRunCoordinator() options");
  const held = new Map<string, HeldRun>();

  const shouldRun = (key: string, ttlMs: number): Promise<boolean> => {
    const parsed = parseCoordinationKey(key);
    if (parsed === undefined) {
      return Promise.reject(
        new LockError(
          "InvalidArgument",
          `node-cron coordination key ${JSON.stringify(String(key).slice(0, 200))} is not "<task name>:<slot as ISO>"`,
        ),
      );
    }
    let job: ReturnType<typeof jobSettings>;
    try {
      job = jobSettings(
        shared,
        parsed.name,
        ttlMs,
        `node-cron task ${JSON.stringify(parsed.name.slice(0, 200))}`,
        "distributedLease",
      );
    } catch (error) {
      // node-cron logs it ("Run coordinator failed") and skips the execution (fail-closed).
      return Promise.reject(error);
    }
    return new Promise<boolean>((resolve) => {
      let finish!: () => void;
      const finished = new Promise<void>((done) => {
        finish = done;
      });
      const entry: HeldRun = { finish };
      const outcome = runSlot(
        lock,
        job,
        { slotMs: parsed.slotMs, acceptUntilMs: parsed.slotMs + job.lateAfterMs },
        async (run) => {
          entry.run = run;
          held.set(key, entry);
          resolve(true);
          // Held until node-cron reports completion, or until the run can no longer be sure
          // it is alone (then the lock call reports the loss).
          let onAbort!: () => void;
          const aborted = new Promise<void>((done) => {
            onAbort = done;
            run.signal.addEventListener("abort", onAbort, { once: true });
          });
          await Promise.race([finished, aborted]);
          run.signal.removeEventListener("abort", onAbort);
          // The task's own error makes the slot failed, as with every other scheduler.
          if (entry.failure !== undefined) throw entry.failure.error;
        },
      );
      entry.outcome = outcome;
      // Never rejects: a failure before the execution was reported there (failed), and node-cron
      // skips the execution; after it started, the execution's end settles it.
      void outcome.then((settled) => {
        if (!settled.ran) resolve(false);
      });
    });
  };

  const onComplete = async (key: string): Promise<void> => {
    const entry = held.get(key);
    if (entry === undefined) return;
    held.delete(key);
    entry.finish();
    await entry.outcome;
  };

  const task =
    <T>(fn: (run: ScheduledRun, context: NodeCronTaskContext) => T | Promise<T>) =>
    async (context: NodeCronTaskContext): Promise<T> => {
      const name = context?.task?.name;
      const key =
        name !== undefined && Object.prototype.toString.call(context.date) === "[object Date]"
          ? `${name}:${context.date.toISOString()}`
          : undefined;
      const entry = key === undefined ? undefined : held.get(key);
      if (entry?.run === undefined) {
        throw new LockError(
          "InvalidArgument",
          `coordinator.task(): no coordinated run for ${key ?? "this execution"}: schedule the task with { name, distributed: true, runCoordinator } (a direct task.execute() is not coordinated)`,
        );
      }
      try {
        return await fn(entry.run, context);
      } catch (error) {
        entry.failure = { error };
        throw error;
      }
    };

  return { shouldRun, onComplete, task };
}
