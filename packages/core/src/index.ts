export { type BackoffPolicy, backoffDelay, type Jitter } from "./backoff";
export { type DefinedBackend, defineBackend } from "./define-backend";
export type {
  DriverAcquireInput,
  DriverAttempt,
  DriverExtendInput,
  DriverFenceReading,
  DriverKeyInput,
  DriverListInput,
  DriverListPage,
  DriverLockIdInput,
  DriverRelease,
  ListedLock,
  LockDriver,
  StoredLock,
} from "./driver";
export * from "./errors";
export type { LockEvent, LockEventHandler } from "./events";
export * from "./fence";
export { assertFenceNewer, isStaleFenceError, StaleFenceError } from "./fence-guard";
export { type ForcedRelease, type ForceReleaseOptions, forceRelease } from "./force-release";
export { acquire, type LockContext, type LockHandle } from "./handle";
export { type WhenIdleOptions, whenIdle } from "./idle";
export {
  DEFAULT_LIST_LIMIT,
  type FenceReading,
  type ListLocksOptions,
  type LockPage,
  type LockSummary,
  listLocks,
  MAX_LIST_LIMIT,
  readFence,
} from "./inventory";
export * from "./keys";
export { createLock, type IfFreeResult, type LockDefaults, type LockFunction } from "./lock";
export * from "./lock-id";
export { type LogFields, type Logger, validateLogger, writeLog } from "./logger";
export { getById, getByKey, hashLockId, owns } from "./lookup";
/**
 * The operator contract: what a store package's `./operator` entry gives an operator tool such as
 * the `syncguard` CLI (its flags, settings, secrets, connection and 2.x migration).
 */
export {
  CLIENT_NOT_INSTALLED,
  clientNotInstalled,
  connectionUrlSecrets,
  isMisreadUrl,
  MISENCODED_URL_HINT,
  type OperatorCore,
  type OperatorFlag,
  type OperatorFlagValues,
  type OperatorInput,
  type OperatorMigrationReport,
  type OperatorPlan,
  type OperatorSession,
  type PeerModules,
  peerModules,
  printableUrl,
  runMigrationCommand,
  type StoreOperator,
  secretSettings,
} from "./operator";
export { checkBackendOptionNames, checkOptionNames } from "./option-names";
export {
  LOCK_DEFAULTS,
  type LockOptions,
  type OnReleaseError,
  type ReleaseErrorContext,
} from "./options";
export { type RaceOutcome, raceDeadline, withTimeout } from "./shared-timeout";
export { createStoreLock, type StoreLockSpec } from "./store-lock";
export * from "./time";
export type * from "./types";
/** Utilities for drivers that retry on their own (Firestore's contention rounds). */
export { interruptibleSleep } from "./wait";
