import { LockError, type LockErrorCode } from "@syncguard/core";
import { isTransientCode } from "@syncguard/core/driver";
import { TERMINATED_MESSAGE } from "./client-state";

/** gRPC status codes the Firestore client reports in `error.code`. */
export const GrpcCode = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** The REST transport (preferRest) may report contention as HTTP 409 instead of ABORTED. */
const HTTP_CONFLICT = 409;

function statusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === "number" ? code : undefined;
}

/** True for transaction contention, which the operation retries itself. */
export function isContention(error: unknown): boolean {
  const code = statusOf(error);
  return code === GrpcCode.ABORTED || code === HTTP_CONFLICT;
}

/**
 * Errors of the client's own setup, raised before any request (no gRPC status): a client that
 * cannot tell which project to use, or has no credentials. Configuration, not an outage.
 */
const NO_PROJECT = /Unable to detect a Project Id/i;
const NO_CREDENTIALS = /Could not load the default credentials/i;

/** Maps a Firestore client error to a LockError code (Internal when unknown). */
export function classifyFirestoreError(error: unknown): LockErrorCode {
  if (statusOf(error) === undefined && error instanceof Error) {
    if (NO_PROJECT.test(error.message)) return "InvalidArgument";
    if (NO_CREDENTIALS.test(error.message)) return "AuthFailed";
    // The SDK's refusal of a request on a terminated client: the request was never sent, as
    // when the client is not connected.
    if (error.message === TERMINATED_MESSAGE) return "ServiceUnavailable";
  }
  switch (statusOf(error)) {
    case GrpcCode.ABORTED:
    case HTTP_CONFLICT:
    // Contention that outlasted the retry budget: worth retrying later, like an outage.
    case GrpcCode.UNAVAILABLE:
    case GrpcCode.INTERNAL:
      return "ServiceUnavailable";
    case GrpcCode.DEADLINE_EXCEEDED:
      return "NetworkTimeout";
    case GrpcCode.PERMISSION_DENIED:
    case GrpcCode.UNAUTHENTICATED:
      return "AuthFailed";
    case GrpcCode.RESOURCE_EXHAUSTED:
      return "RateLimited";
    case GrpcCode.FAILED_PRECONDITION:
    case GrpcCode.INVALID_ARGUMENT:
      return "InvalidArgument";
    default:
      return "Internal";
  }
}

/**
 * What a failure means depends on whether the operation had sent a commit (ADR "errors mean what
 * they say"): before any commit nothing was written, so a transient failure is ServiceUnavailable
 * (safe to retry blindly); once a commit was sent it may have landed, so it is NetworkTimeout
 * (outcome unknown). A transaction retried by the client counts as sent from its first commit on.
 */
function inPhase(code: LockErrorCode, commitSent: boolean): LockErrorCode {
  if (!isTransientCode(code)) return code;
  if (commitSent) return "NetworkTimeout";
  return code === "RateLimited" ? code : "ServiceUnavailable";
}

function phaseNote(commitSent: boolean): string {
  return commitSent
    ? "a commit was sent, so its outcome is unknown"
    : "no commit was sent, so nothing was written";
}

/** The client's message, or a description of the error when it has none (never empty). */
function detailOf(error: unknown): string {
  if (error instanceof Error && error.message.trim() !== "") return error.message;
  const status = statusOf(error);
  const name = error instanceof Error ? error.name : typeof error;
  return `${name}${status === undefined ? "" : ` with status ${status}`} and no message`;
}

/**
 * Wraps any error thrown by the Firestore client into a LockError with the original as `cause`.
 * LockErrors pass through unchanged. `commitSent` says whether the operation had sent a commit
 * when it failed (see `inPhase`). A FAILED_PRECONDITION on a lockId query means the index is
 * missing, so its message says which index to create.
 */
export function toFirestoreLockError(
  error: unknown,
  operation: string,
  collection: string,
  commitSent: boolean,
): LockError {
  if (error instanceof LockError) return error;
  const detail = detailOf(error);
  const code = inPhase(classifyFirestoreError(error), commitSent);
  let message = `Firestore ${operation} failed: ${detail}`;
  if (code === "InvalidArgument" && error instanceof Error && NO_PROJECT.test(error.message)) {
    message =
      `Firestore ${operation} failed: the Firestore client has no project id. Pass it to the ` +
      "client (new Firestore({ projectId })) or set GOOGLE_CLOUD_PROJECT; with the emulator, " +
      `set FIRESTORE_EMULATOR_HOST too. Cause: ${detail}`;
  } else if (statusOf(error) === GrpcCode.FAILED_PRECONDITION) {
    message =
      `Firestore ${operation} failed: missing index. Create a single-field index on "lockId" ` +
      `(ascending) in collection "${collection}" (see firestore.indexes.json). Cause: ${detail}`;
  } else if (isContention(error)) {
    message = `Firestore ${operation} failed: transaction contention persisted after retries (${phaseNote(commitSent)}): ${detail}`;
  } else if (isTransientCode(code)) {
    message = `Firestore ${operation} failed (${phaseNote(commitSent)}): ${detail}`;
  }
  return new LockError(code, message, { cause: error });
}

/** The operation's deadline passed first. */
export function timeoutError(operation: string, timeoutMs: number, commitSent: boolean): LockError {
  return commitSent
    ? new LockError(
        "NetworkTimeout",
        `Firestore ${operation} did not complete within ${timeoutMs} ms after sending its commit; its outcome is unknown`,
      )
    : new LockError(
        "ServiceUnavailable",
        `Firestore ${operation} got no answer within ${timeoutMs} ms; no commit was sent, so nothing was written`,
      );
}

/** The caller's signal fired first. The operation stops at once, even with a commit in flight. */
export function abortedError(
  signal: AbortSignal | undefined,
  operation: string,
  commitSent: boolean,
): LockError {
  return new LockError(
    "Aborted",
    `Firestore ${operation} aborted by signal; ${phaseNote(commitSent)}`,
    signal?.reason === undefined ? {} : { cause: signal.reason },
  );
}
