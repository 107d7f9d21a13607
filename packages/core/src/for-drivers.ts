// @syncguard/core/driver: what a backend package (or your own driver) builds on. Applications
// import `@syncguard/core`; every name of it is here too, so a driver imports from one place.

export { linkedSignal } from "./abort-listeners";
export { type BackoffPolicy, backoffDelay } from "./backoff";
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
  DriverPermitExtendInput,
  DriverPermitIdInput,
  DriverPermitInput,
  DriverPermitListPage,
  DriverRelease,
  DriverSemaphoreReading,
  ListedLock,
  LockDriver,
  PermitDriver,
  StoredLock,
  StoredPermit,
} from "./driver";
export {
  type AcquisitionDetails,
  abortError,
  type ErrorClassifier,
  isTransientCode,
  LOCK_ERROR_CODES,
  type LockErrorOptions,
  throwIfAborted,
  toLockError,
} from "./errors";
export {
  compareFence,
  FENCE_DIGITS,
  FENCE_WARNING_THRESHOLD,
  fenceOverflowError,
  formatFence,
  isFence,
  MAX_FENCE,
  parseFence,
  warnIfFenceNearLimit,
} from "./fence";
export { isStaleFenceError } from "./fence-guard";
export type { WhenIdleOptions } from "./idle";
export {
  type AcquireResult,
  acquire,
  acquirePermit,
  assertFenceNewer,
  type BackendCapabilities,
  createLock,
  createMemoryBackend,
  type Election,
  type ElectionOptions,
  type ExtendResult,
  elect,
  type Fence,
  type FenceReading,
  type FencingCapabilities,
  type ForcedRelease,
  type ForceReleaseOptions,
  type ForceReleasePermitOptions,
  forceRelease,
  forceReleasePermit,
  getById,
  getByKey,
  getSemaphore,
  type IfFreeResult,
  isLockError,
  type Jitter,
  type Leader,
  type LeaderTerm,
  type ListLocksOptions,
  type LockBackend,
  type LockContext,
  type LockDefaults,
  LockError,
  type LockErrorCode,
  type LockEvent,
  type LockEventHandler,
  type LockFunction,
  type LockHandle,
  type LockInfo,
  type LockOptions,
  type LockPage,
  type LockSummary,
  type Logger,
  listLocks,
  type MemoryBackend,
  owns,
  type PermitSummary,
  type ReleaseResult,
  readFence,
  type SemaphoreInfo,
  type SemaphoreOptions,
  StaleFenceError,
  type TermInfo,
  whenIdle,
} from "./index";
export { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from "./inventory";
export {
  DIGEST_HEX_CHARS,
  DIGEST_SEPARATOR,
  keyDigest,
  MAX_KEY_BYTES,
  normalizeKey,
  READABLE_KEY_BYTES,
  type StorageNameRules,
  toStorageName,
  truncateUtf8,
  utf8Bytes,
} from "./keys";
export { type LockFunctionTraits, lockFunctionTraits } from "./lock";
export {
  generateLockId,
  isLockId,
  KEY_TAG_LENGTH,
  keyTag,
  LOCK_ID_LENGTH,
  lockIdKeyTag,
  validateLockId,
  validateLockIdForKey,
} from "./lock-id";
export { type LogFields, validateLogger, writeLog } from "./logger";
export { hashLockId } from "./lookup";
export {
  createMemoryDriver,
  type MemoryBackendOptions,
  type MemoryCapabilities,
} from "./memory";
export { checkBackendOptionNames, checkOptionNames, closestName } from "./option-names";
export { LOCK_DEFAULTS, type OnReleaseError, type ReleaseErrorContext } from "./options";
export { MAX_PERMITS, permitsMismatchError, validatePermits } from "./permits";
export { type RaceOutcome, raceDeadline, withTimeout } from "./shared-timeout";
export { createStoreLock, type StoreLockSpec } from "./store-lock";
export {
  CLEANUP_GUARD_MS,
  type Clock,
  describeValue,
  isLive,
  isPastCleanupGuard,
  MAX_TTL_MS,
  type MonotonicClock,
  monotonicClock,
  systemClock,
  TIME_TOLERANCE_MS,
  validateTtl,
} from "./time";
export type {
  AcquireLocked,
  AcquireOk,
  AcquireOptions,
  ExtendOptions,
  FenceField,
  HolderInfo,
  KeyOptions,
  LookupOptions,
  ReleaseListener,
  ReleaseOptions,
  TimeAuthority,
  Unsubscribe,
  WaiterInfo,
} from "./types";
/** For drivers that retry on their own (Firestore's contention rounds). */
export { interruptibleSleep } from "./wait";
