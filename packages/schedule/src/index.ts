// @syncguard/schedule: scheduled jobs that run once per slot across instances, on any SyncGuard
// lock function (ADR-038).
export type { ScheduleEvent, ScheduleEventHandler } from "./events";
export {
  createRunCoordinator,
  type NodeCronTaskContext,
  type RunCoordinator,
} from "./node-cron";
export type {
  Overlap,
  RunCoordinatorOptions,
  RunOnceOptions,
  ScheduleOptions,
} from "./options";
export {
  type CronerJobLike,
  type CronJobLike,
  checkRunOnceOptions,
  runOnce,
  type ScheduledTick,
} from "./run-once";
export type { ScheduledRun } from "./run-slot";
