import { LockError, type LockErrorCode } from "@syncguard/core";

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

/** Maps a Firestore client error to a LockError code (Internal when unknown). */
export function classifyFirestoreError(error: unknown): LockErrorCode {
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
 * Wraps any error thrown by the Firestore client into a LockError with the original as `cause`.
 * LockErrors pass through unchanged. A FAILED_PRECONDITION on a lockId query means the index
 * is missing, so its message says which index to create.
 */
export function toFirestoreLockError(
  error: unknown,
  operation: string,
  collection: string,
): LockError {
  if (error instanceof LockError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  const code = classifyFirestoreError(error);
  let message = `Firestore ${operation} failed: ${detail}`;
  if (statusOf(error) === GrpcCode.FAILED_PRECONDITION) {
    message =
      `Firestore ${operation} failed: missing index. Create a single-field index on "lockId" ` +
      `(ascending) in collection "${collection}" (see firestore.indexes.json). Cause: ${detail}`;
  } else if (isContention(error)) {
    message = `Firestore ${operation} failed: transaction contention persisted after retries: ${detail}`;
  }
  return new LockError(code, message, { cause: error });
}
