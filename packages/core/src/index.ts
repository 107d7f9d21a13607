// @syncguard/core: what applications call. Driver authors import `@syncguard/core/driver`;
// operator tools `@syncguard/core/operator`.

export {
  type Election,
  type ElectionOptions,
  elect,
  type Leader,
  type LeaderTerm,
  type TermInfo,
} from "./election";
export { isLockError, LockError, type LockErrorCode } from "./errors";
export type { LockEvent, LockEventHandler } from "./events";
export { assertFenceNewer, StaleFenceError } from "./fence-guard";
export { type ForcedRelease, type ForceReleaseOptions, forceRelease } from "./force-release";
export { acquire, type LockContext, type LockHandle } from "./handle";
export { whenIdle } from "./idle";
export {
  type FenceReading,
  type ListLocksOptions,
  type LockPage,
  type LockSummary,
  listLocks,
  readFence,
} from "./inventory";
export { createLock, type IfFreeResult, type LockDefaults, type LockFunction } from "./lock";
export type { Logger } from "./logger";
export { getById, getByKey, owns } from "./lookup";
export { createMemoryBackend, type MemoryBackend } from "./memory";
export type { Jitter, LockOptions } from "./options";
export { acquirePermit, type SemaphoreOptions } from "./semaphore";
export {
  type ForceReleasePermitOptions,
  forceReleasePermit,
  getSemaphore,
  type PermitSummary,
  type SemaphoreInfo,
} from "./semaphore-operators";
export type {
  AcquireResult,
  BackendCapabilities,
  ExtendResult,
  Fence,
  FencingCapabilities,
  LockBackend,
  LockInfo,
  ReleaseResult,
} from "./types";
