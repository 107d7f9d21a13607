import { recogniseByBrand } from "./brand";

/**
 * Every failure SyncGuard raises is a `LockError` with a machine-readable `code`.
 * Contention is never an error: `backend.acquire` reports it as `{ ok: false, reason: "locked" }`.
 */
export type LockErrorCode =
  /** Bad input or configuration, rejected before any I/O. */
  | "InvalidArgument"
  /** The backend could not be reached or refused service (retryable). */
  | "ServiceUnavailable"
  /** Credentials were missing or rejected. */
  | "AuthFailed"
  /** The backend throttled the request (retryable after a pause). */
  | "RateLimited"
  /** The request did not complete in time; its outcome is unknown. */
  | "NetworkTimeout"
  /** `lock()` / `acquire()` gave up waiting for a held lock. */
  | "AcquisitionTimeout"
  /** The caller's AbortSignal fired. */
  | "Aborted"
  /** The lock was lost while its holder was still working (see `autoExtend`). */
  | "LockLost"
  /** A broken invariant or an unrecognised backend error. */
  | "Internal";

export const LOCK_ERROR_CODES: readonly LockErrorCode[] = [
  "InvalidArgument",
  "ServiceUnavailable",
  "AuthFailed",
  "RateLimited",
  "NetworkTimeout",
  "AcquisitionTimeout",
  "Aborted",
  "LockLost",
  "Internal",
];

/** Facts about a failed acquisition, attached to `AcquisitionTimeout` errors. */
export interface AcquisitionDetails {
  /** Acquire attempts made (first try included). */
  attempts: number;
  /** Milliseconds spent waiting before giving up. */
  waitedMs: number;
  /** What the last attempt learned about the current holder (never its lockId). */
  holder?: { fence?: string; remainingMs?: number };
}

export interface LockErrorOptions {
  cause?: unknown;
  /** The normalized key involved, when there is one. */
  key?: string;
  details?: AcquisitionDetails;
}

/**
 * The registered brand every copy of core puts on `LockError.prototype`. An application may hold
 * two copies of `@syncguard/core` (a backend with its own nested copy, or the ESM and the CommonJS
 * build in one process); each has its own `LockError` class, so SyncGuard errors are recognised
 * by this brand, never by class identity. The brand promises the shape `LockError` has: `code`
 * (a `LockErrorCode`), `message`, and optional `key`, `details` and `cause`.
 */
const LOCK_ERROR_BRAND = Symbol.for("@syncguard/core/LockError");

/**
 * The one error class SyncGuard throws. Switch on `code`; the client library's original error,
 * if any, is `cause`. Recognise it with `LockError.is(error, code?)` (also across copies of core).
 */
export class LockError extends Error {
  /** Always "LockError". */
  override readonly name = "LockError";
  /** What went wrong, machine-readable (see `LockErrorCode`). */
  readonly code: LockErrorCode;
  /** The normalized key involved, when there is one. */
  readonly key?: string;
  /** Attempts, time waited and the holder's fence, on `AcquisitionTimeout`. */
  readonly details?: AcquisitionDetails;

  constructor(code: LockErrorCode, message?: string, options: LockErrorOptions = {}) {
    super(message ?? code, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.key !== undefined) this.key = options.key;
    if (options.details !== undefined) this.details = options.details;
  }

  /**
   * True for an error SyncGuard raised, whichever copy of `@syncguard/core` made it (a nested copy
   * under a backend, the other module format); with `code`, only for that code.
   */
  static is(error: unknown, code?: LockErrorCode): error is LockError {
    return (
      typeof error === "object" &&
      error !== null &&
      (error as { [LOCK_ERROR_BRAND]?: unknown })[LOCK_ERROR_BRAND] === true &&
      typeof (error as { code?: unknown }).code === "string" &&
      (code === undefined || (error as { code: unknown }).code === code)
    );
  }
}
Object.defineProperty(LockError.prototype, LOCK_ERROR_BRAND, { value: true });
/** `error instanceof LockError` holds for a LockError of any copy of core (see `is`). */
recogniseByBrand(LockError, LockError.is);

/** `LockError.is`: true for a SyncGuard error of any copy of core (with `code`: of that code). */
export function isLockError(error: unknown, code?: LockErrorCode): error is LockError {
  return LockError.is(error, code);
}

/** Codes worth retrying within a caller's time budget: the same request may succeed shortly. */
export function isTransientCode(code: LockErrorCode): boolean {
  return code === "ServiceUnavailable" || code === "RateLimited" || code === "NetworkTimeout";
}

/** The `Aborted` error for a signal, keeping the signal's reason as the cause. */
export function abortError(signal: AbortSignal, what = "Operation"): LockError {
  return new LockError("Aborted", `${what} aborted by signal`, { cause: signal.reason });
}

/** Throws `LockError("Aborted")` when the signal has already fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw abortError(signal, what);
}

/**
 * A classifier turns a client library's error into a code, or `undefined` if it does not know it.
 * `toLockError` applies one: known errors keep their message and carry the original as `cause`.
 */
export type ErrorClassifier = (error: unknown) => LockErrorCode | undefined;

export function toLockError(error: unknown, classify: ErrorClassifier, context: string): LockError {
  if (error instanceof LockError) return error;
  const code = classify(error) ?? "Internal";
  const detail = error instanceof Error ? error.message : String(error);
  return new LockError(code, `${context}: ${detail}`, { cause: error });
}
