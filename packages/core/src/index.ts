export { type AcquiredLock, acquireWithRetry, type EngineDeps } from "./acquire-loop";
export { type BackoffPolicy, backoffDelay, type Jitter } from "./backoff";
export * from "./errors";
export type { LockEvent, LockEventHandler } from "./events";
export * from "./fence";
export { acquire, type LockContext, type LockHandle } from "./handle";
export { handoffWindowMs } from "./handoff";
export {
  type ParsedAcquire,
  parseAcquireOptions,
  parseExtendOptions,
  parseKeyOptions,
  parseReleaseOptions,
  validateSignal,
  validateWaiter,
} from "./input";
export * from "./keys";
export { createLock, type LockDefaults, type LockFunction } from "./lock";
export * from "./lock-id";
export * from "./lookup";
export {
  LOCK_DEFAULTS,
  type LockOptions,
  type OnReleaseError,
  type ReleaseErrorContext,
  type ResolvedLockOptions,
  resolveLockOptions,
} from "./options";
export { type RaceOutcome, raceDeadline, withTimeout } from "./shared-timeout";
export * from "./time";
export type * from "./types";
export { interruptibleSleep } from "./wait";
