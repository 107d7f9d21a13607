import { type Logger, writeLog } from "@syncguard/core/driver";

/**
 * What happened to one trigger of a scheduled job, as seen by this instance. `slot` is the
 * scheduled time the trigger belongs to (not the moment it fired).
 */
export type ScheduleEvent =
  /** This instance ran the slot; `fence` is the fence the job got. */
  | { type: "ran"; name: string; slot: Date; fence: string }
  /** Another instance claimed the slot: it runs (or ran) it there. */
  | { type: "skipped"; name: string; slot: Date }
  /**
   * This instance claimed the slot but no instance ran it: the job's previous run still held the
   * job (`overlap: "skip"`), the wait for it ran past `maxWaitMs` (`overlap: "queue"`), or
   * `lock.close()` ended the wait (`closed`: a shutdown, not a failure). Each such slot is
   * reported once, by the instance that claimed it.
   */
  | { type: "missed"; name: string; slot: Date; reason: "overlap" | "wait-timeout" | "closed" }
  /**
   * This instance's trigger came more than `lateAfterMs` after its slot, so it did not take part:
   * the slot may have run elsewhere. A slot whose every trigger was late ran nowhere. `slot` is
   * absent when no scheduled time was found within an hour before `triggeredAt`.
   */
  | { type: "late"; name: string; slot?: Date; triggeredAt: Date }
  /**
   * Claiming the slot, waiting for the job, the job itself, or holding the claim afterwards
   * failed with `error` (a store error, `LockLost`, or the job's own error). The tick still
   * resolves: a failed slot never crashes the scheduler's process. Without `onEvent` it is
   * logged (error) through the lock function's logger, so it is never silent.
   */
  | { type: "failed"; name: string; slot: Date; error: unknown };

/** Receives every {@link ScheduleEvent}, synchronously; a handler that throws is ignored. */
export type ScheduleEventHandler = (event: ScheduleEvent) => void;

/** Reports a failed slot: to `onEvent`, else through the lock function's logger. */
export function reportFailure(
  handler: ScheduleEventHandler | undefined,
  logger: Logger | undefined,
  event: Extract<ScheduleEvent, { type: "failed" }>,
): void {
  if (handler !== undefined) {
    emit(handler, event);
    return;
  }
  const reason = event.error instanceof Error ? event.error.message : String(event.error);
  writeLog(
    logger,
    "error",
    `[SyncGuard] scheduled job ${JSON.stringify(event.name)} failed in its slot ${event.slot.toISOString()}: ${reason} (pass onEvent to handle failures yourself)`,
    { name: event.name, slot: event.slot.toISOString(), error: event.error },
  );
}

export function emit(handler: ScheduleEventHandler | undefined, event: ScheduleEvent): void {
  if (handler === undefined) return;
  try {
    handler(event);
  } catch {
    // An observer must never change what the schedule does.
  }
}
