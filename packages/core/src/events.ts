import type { LockErrorCode } from "./errors";
import type { Fence } from "./types";

/**
 * Observability hooks. Every event is a plain object, emitted synchronously; a throwing handler
 * is ignored so metrics code can never break locking. `key` is the normalized key; no event
 * carries a lockId. See the README's Observability section for the table of events and the
 * OpenTelemetry integration (`@syncguard/opentelemetry`).
 */
export type LockEvent =
  /** The lock was taken: after how many attempts and how long a wait (ms). */
  | { type: "acquired"; key: string; fence?: Fence; attempts: number; waitedMs: number }
  /** An attempt found the key held; `holderRemainingMs` when the backend reports it. */
  | { type: "contended"; key: string; attempt: number; holderRemainingMs?: number }
  /**
   * The acquisition ended without the lock: `AcquisitionTimeout`, `Aborted`, or the backend
   * error that ended it (`ServiceUnavailable`, `NetworkTimeout`, `AuthFailed`, ...).
   */
  | { type: "failed"; key: string; code: LockErrorCode; attempts: number; waitedMs: number }
  /** `lock.ifFree()` found the key held and skipped fn: expected, not a failure. */
  | { type: "skipped"; key: string; attempts: number; waitedMs: number }
  /** The release answered; `ok: false` means the lock was already gone (a `lost` event follows). */
  | { type: "released"; key: string; ok: boolean; heldMs: number }
  /**
   * The release threw or did not answer within `releaseTimeoutMs`: the lock may stay held until
   * its TTL runs out. `onReleaseError` gets the error itself.
   */
  | { type: "release-failed"; key: string; code: LockErrorCode; heldMs: number }
  | { type: "extended"; key: string; ok: boolean; expiresAtMs?: number }
  | { type: "lost"; key: string; reason: "expired" | "deadline" | "not-held" | "max-hold" }
  /** `forceRelease` ran: `released` is whether a live lock was deleted, `fence` its fence. */
  | {
      type: "forced";
      key: string;
      released: boolean;
      fence?: Fence;
      /** Set when one permit of the semaphore `key` was forced out (forceReleasePermit). */
      permit?: true;
    };

/** Receives every event of a lock, synchronously; what it throws is ignored. */
export type LockEventHandler = (event: LockEvent) => void;

export function emit(handler: LockEventHandler | undefined, event: LockEvent): void {
  if (!handler) return;
  try {
    handler(event);
  } catch {
    // Observers must not change the outcome of a lock operation.
  }
}
