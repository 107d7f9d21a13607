// @syncguard/nestjs: SyncGuard in a Nest application. SyncGuardModule gives an injectable
// SyncGuardService (lock, ifFree) and binds @RunOnce() methods of @nestjs/schedule (ADR-038).
export type { ScheduledRun, ScheduleEvent, ScheduleEventHandler } from "@syncguard/schedule";
export { SYNCGUARD_MODULE_OPTIONS, SyncGuardModule } from "./module";
export type { SyncGuardModuleAsyncOptions, SyncGuardModuleOptions } from "./options";
export { RunOnce, type RunOnceDecoratorOptions } from "./run-once";
export { SyncGuardService } from "./service";
