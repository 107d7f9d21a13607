import { isLockError, isTransientCode, LockError } from "./errors";
import { emit, type LockEventHandler } from "./events";
import type { Clock } from "./time";
import type { BackendCapabilities, ExtendResult, LockBackend } from "./types";
import { unrefTimer } from "./wait";

export interface LeaseOptions {
  key: string;
  lockId: string;
  ttlMs: number;
  /** Local time just before the acquire that won the lock was sent. */
  sentAtMs: number;
  /** Round trip of that acquire, the first estimate of one backend round trip. */
  roundTripMs: number;
  expiresAtMs: number;
  autoExtend: boolean;
  clock: Clock;
  onEvent?: LockEventHandler;
}

/**
 * Keeps track of how long a held lock is safe to work under, and renews it when asked to.
 *
 * The safe deadline is `sentAt + ttl - margin` by the local clock, where `sentAt` is when the
 * last confirmed acquire or extend was sent (the lease cannot have started earlier) and the
 * margin covers one round trip plus slack. The backend keeps the lock live for the time tolerance
 * past its expiry, which absorbs clock skew up to that tolerance between holder and judge; so the
 * local deadline never outlives the lease as other clients see it.
 *
 * `signal` aborts with `LockError("LockLost")` at the safe deadline, or at once when an extend
 * reports the lock gone. With `autoExtend`, the lease is renewed every third of the TTL; transient
 * renewal errors are retried until the deadline.
 */
export class Lease<C extends BackendCapabilities> {
  // Created on first use: most critical sections never read their signal, and an AbortController
  // plus a deadline timer per lock is measurable on a hot path.
  private controller: AbortController | undefined;
  private deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  private renewTimer: ReturnType<typeof setTimeout> | undefined;
  private roundTripMs: number;
  private confirmedSentAtMs: number;
  private confirmedTtlMs: number;
  private stopped = false;
  expiresAtMs: number;
  lostError: LockError | undefined;

  constructor(
    private readonly backend: LockBackend<C>,
    private readonly options: LeaseOptions,
  ) {
    this.roundTripMs = options.roundTripMs;
    this.confirmedSentAtMs = options.sentAtMs;
    this.confirmedTtlMs = options.ttlMs;
    this.expiresAtMs = options.expiresAtMs;
    // The deadline timer only makes loss visible early (signal, `lost` event); `finish()` checks
    // the deadline anyway, so without an observer no timer is needed.
    if (options.autoExtend || options.onEvent) this.armDeadline();
    if (options.autoExtend) this.scheduleRenewal(Math.floor(options.ttlMs / 3));
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.lostError) this.controller.abort(this.lostError);
      else if (!this.deadlineTimer) this.armDeadline();
    }
    // A deadline that passed while the event loop was blocked (a long GC pause, CPU-bound work)
    // has not fired its timer yet: whoever reads the signal now must still see the loss.
    if (!this.lostError && !this.stopped && this.options.clock() >= this.safeDeadlineMs) {
      this.markLost(
        "deadline",
        "The lock's safe deadline passed without a confirmed renewal; it may have expired",
      );
    }
    return this.controller.signal;
  }

  /** Called when the work ends: records a passed deadline as loss, then stops every timer. */
  finish(): void {
    if (!this.lostError && !this.stopped && this.options.clock() >= this.safeDeadlineMs) {
      this.markLost(
        "deadline",
        "The lock's safe deadline passed without a confirmed renewal; it may have expired",
      );
    }
    this.stop();
  }

  /** Local time after which work must assume the lock may be held by someone else. */
  get safeDeadlineMs(): number {
    const margin = Math.min(Math.floor(this.confirmedTtlMs / 4), this.roundTripMs + 50);
    return this.confirmedSentAtMs + this.confirmedTtlMs - margin;
  }

  /** Renews the lease to now + ttlMs (the backend's clock). Reports loss through `signal`. */
  async extend(ttlMs = this.options.ttlMs): Promise<ExtendResult> {
    const { clock } = this.options;
    const sentAtMs = clock();
    const result = await this.backend.extend({ lockId: this.options.lockId, ttlMs });
    this.roundTripMs = clock() - sentAtMs;
    emit(this.options.onEvent, {
      type: "extended",
      key: this.options.key,
      ok: result.ok,
      ...(result.ok ? { expiresAtMs: result.expiresAtMs } : {}),
    });
    if (!result.ok) {
      this.markLost("not-held", "The lock is no longer held: it expired or was taken over");
      return result;
    }
    if (!this.lostError) {
      this.expiresAtMs = result.expiresAtMs;
      this.confirmedSentAtMs = sentAtMs;
      this.confirmedTtlMs = ttlMs;
      if (this.deadlineTimer || this.controller) this.armDeadline();
    }
    return result;
  }

  /** Stops every timer. Called when the work ends or the lock is released. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.deadlineTimer);
    clearTimeout(this.renewTimer);
  }

  private armDeadline(): void {
    clearTimeout(this.deadlineTimer);
    if (this.stopped) return;
    const delay = this.safeDeadlineMs - this.options.clock();
    this.deadlineTimer = unrefTimer(
      () =>
        this.markLost(
          "deadline",
          "The lock's safe deadline passed without a confirmed renewal; it may expire at any moment",
        ),
      delay,
    );
  }

  private scheduleRenewal(delayMs: number): void {
    clearTimeout(this.renewTimer);
    if (this.stopped || this.lostError) return;
    this.renewTimer = unrefTimer(() => {
      void this.renew();
    }, delayMs);
  }

  private async renew(): Promise<void> {
    if (this.stopped || this.lostError) return;
    try {
      const result = await this.extend();
      if (result.ok) this.scheduleRenewal(Math.floor(this.options.ttlMs / 3));
    } catch (error) {
      // Unknown outcome or backend trouble: try again soon, the deadline bounds how long.
      if (isLockError(error) && !isTransientCode(error.code)) {
        this.markLost("not-held", `Renewal failed: ${error.message}`, error);
        return;
      }
      const retryIn = Math.max(10, Math.min(Math.floor(this.options.ttlMs / 10), 250));
      this.scheduleRenewal(retryIn);
    }
  }

  private markLost(
    reason: "not-held" | "deadline" | "expired",
    message: string,
    cause?: unknown,
  ): void {
    if (this.lostError || this.stopped) return;
    this.lostError = new LockError("LockLost", message, { key: this.options.key, cause });
    clearTimeout(this.deadlineTimer);
    clearTimeout(this.renewTimer);
    emit(this.options.onEvent, { type: "lost", key: this.options.key, reason });
    this.controller?.abort(this.lostError);
  }
}
