import { isLockError, isTransientCode, LockError } from "./errors";
import { emit, type LockEventHandler } from "./events";
import type { LeaseSpace } from "./lease-space";
import { raceDeadline } from "./shared-timeout";
import type { Clock, MonotonicClock } from "./time";
import type { BackendCapabilities, ExtendResult } from "./types";
import { unrefTimer } from "./wait";

export interface LeaseOptions {
  key: string;
  lockId: string;
  ttlMs: number;
  /** Monotonic time just before the acquire that won the lock was sent. */
  sentAtMs: number;
  /** Round trip of that acquire, the first estimate of one backend round trip. */
  roundTripMs: number;
  /** Expiry by the backend's time authority (ms since the epoch). */
  expiresAtMs: number;
  autoExtend: boolean;
  /** `maxHoldMs`: no renewal past sentAtMs + maxHoldMs; Infinity for no bound. */
  maxHoldMs: number;
  /** Monotonic ms: the lease's own deadline is measured on it. */
  now: MonotonicClock;
  /**
   * The wall clock, consulted only when the backend's time authority is the client: there the
   * lock expires when the clients' wall clocks pass `expiresAtMs`, so a forward step of ours must
   * end the lease early. A backward step is harmless: the monotonic deadline still applies.
   */
  wallClock?: Clock;
  onEvent?: LockEventHandler;
}

/**
 * Keeps track of how long a held lock is safe to work under, and renews it when asked to.
 *
 * The safe deadline is `sentAt + ttl - margin` on the monotonic clock, where `sentAt` is when the
 * last confirmed acquire or extend was sent (the lease cannot have started earlier) and the
 * margin covers one round trip plus slack. The backend keeps the lock live for the time tolerance
 * past its expiry, which absorbs clock skew up to that tolerance between holder and judge; so the
 * local deadline never outlives the lease as other clients see it. A step of the wall clock cannot
 * move it (ADR-017); on client-authority backends the wall clock can only bring it earlier.
 *
 * `signal` aborts with `LockError("LockLost")` at the safe deadline, or at once when an extend
 * reports the lock gone. With `autoExtend`, the lease is renewed every third of the TTL; transient
 * renewal errors are retried until the deadline. Past `maxHoldMs` nothing renews the lease and
 * `signal` aborts the same way, while the last renewal still covers the work.
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
  /** Set when the release found nothing to release although no loss had been reported before. */
  lostAtRelease: LockError | undefined;

  constructor(
    private readonly space: LeaseSpace<C>,
    private readonly options: LeaseOptions,
  ) {
    this.roundTripMs = options.roundTripMs;
    this.confirmedSentAtMs = options.sentAtMs;
    this.confirmedTtlMs = options.ttlMs;
    this.expiresAtMs = options.expiresAtMs;
    // The deadline timer only makes loss visible early (signal, `lost` event); `finish()` checks
    // the deadline anyway, so without an observer no timer is needed. A renewing lease arms it
    // when the renewal starts: the renewal is due long before the deadline, so until then one
    // timer does for both.
    if (options.autoExtend) this.scheduleRenewal(Math.floor(options.ttlMs / 3));
    else if (options.onEvent) this.armDeadline();
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.lostError) this.controller.abort(this.lostError);
      else if (!this.deadlineTimer) this.armDeadline();
    }
    // A deadline that passed while the event loop was blocked (a long GC pause, CPU-bound work)
    // has not fired its timer yet: whoever reads the signal now must still see the loss.
    this.checkDeadline();
    return this.controller.signal;
  }

  /** Called when the work ends: records a passed deadline as loss, then stops every timer. */
  finish(): void {
    this.checkDeadline();
    this.stop();
  }

  private checkDeadline(): void {
    if (!this.lostError && !this.stopped && this.msUntilHoldEnd() <= 0) this.markHoldEnded();
    if (!this.lostError && !this.stopped && this.msUntilDeadline() <= 0) {
      this.markLost("deadline", this.deadlineMessage("it may have expired"));
    }
  }

  /** Why the safe deadline passed: renewals failed, or nothing was renewing the lease. */
  private deadlineMessage(outlook: string): string {
    if (this.options.autoExtend) {
      return `The lock's safe deadline passed without a confirmed renewal; ${outlook}`;
    }
    return (
      `The lease (ttlMs ${this.confirmedTtlMs} ms) ran out while the work was still running, and ` +
      `nothing renewed it (autoExtend is off); ${outlook}. Leave autoExtend on (lock()'s ` +
      "default), call extend(), or use a longer ttlMs"
    );
  }

  private get marginMs(): number {
    return Math.min(Math.floor(this.confirmedTtlMs / 4), this.roundTripMs + 50);
  }

  /** Monotonic time after which work must assume the lock may be held by someone else. */
  get safeDeadlineMs(): number {
    return this.confirmedSentAtMs + this.confirmedTtlMs - this.marginMs;
  }

  /** Milliseconds until the safe deadline: the monotonic one, or the wall-clock one if sooner. */
  private msUntilDeadline(): number {
    const monotonic = this.safeDeadlineMs - this.options.now();
    const wall = this.options.wallClock;
    if (!wall) return monotonic;
    return Math.min(monotonic, this.expiresAtMs - this.marginMs - wall());
  }

  /** Milliseconds until maxHoldMs runs out (Infinity when unbounded). */
  private msUntilHoldEnd(): number {
    return this.options.sentAtMs + this.options.maxHoldMs - this.options.now();
  }

  private markHoldEnded(): void {
    this.markLost(
      "max-hold",
      `The lock was held for maxHoldMs (${this.options.maxHoldMs} ms): it is no longer renewed ` +
        "and will expire at the end of its current lease",
    );
  }

  /**
   * Renews the lease to now + ttlMs (the backend's clock). Reports loss through `signal`. Ends by
   * the lease's safe deadline: an extend still unanswered then cannot save the lease, so it
   * resolves `{ ok: false }` and the loss is reported.
   */
  async extend(ttlMs = this.options.ttlMs): Promise<ExtendResult> {
    const { now } = this.options;
    if (this.lostError) return { ok: false };
    // Checked before any I/O: a renewal past the bound is exactly what maxHoldMs forbids.
    if (!this.stopped && this.msUntilHoldEnd() <= 0) {
      this.markHoldEnded();
      return { ok: false };
    }
    const sentAtMs = now();
    const raced = await raceDeadline(
      this.space.extend(this.options.key, this.options.lockId, ttlMs),
      sentAtMs + Math.max(0, this.msUntilDeadline()),
    );
    if (raced.by === "error") throw raced.error;
    if (raced.by !== "value") {
      this.checkDeadline();
      return { ok: false };
    }
    const result = raced.value;
    this.roundTripMs = now() - sentAtMs;
    if (this.options.onEvent)
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

  /**
   * The release found the lock gone while nobody had noticed a loss. The work is over, so its
   * result stands, but the loss is reported: a `lost` event, and `lostAtRelease` for the caller's
   * `onReleaseError`. Someone else may have held the key while the work ran.
   */
  noteGoneAtRelease(): void {
    if (this.lostError || this.lostAtRelease) return;
    this.lostAtRelease = new LockError(
      "LockLost",
      "The lock was gone when the work ended (expired, deleted or taken over while it ran): " +
        "another holder may have run at the same time",
      { key: this.options.key },
    );
    if (this.options.onEvent)
      emit(this.options.onEvent, { type: "lost", key: this.options.key, reason: "not-held" });
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
    const delay = this.msUntilDeadline();
    const holdDelay = this.msUntilHoldEnd();
    // One timer for whichever comes first; the hold bound can exceed setTimeout's range, the
    // safe deadline never does, so min() keeps the delay valid.
    this.deadlineTimer = unrefTimer(
      () => {
        if (holdDelay >= delay) {
          this.markLost("deadline", this.deadlineMessage("it may expire at any moment"));
        } else if (this.msUntilHoldEnd() > 0) {
          // Timers may fire a little before our monotonic clock reaches the bound: wait it out.
          this.armDeadline();
        } else {
          this.markHoldEnded();
        }
      },
      Math.min(delay, holdDelay),
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
    if (!this.deadlineTimer) this.armDeadline();
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
    reason: "not-held" | "deadline" | "expired" | "max-hold",
    message: string,
    cause?: unknown,
  ): void {
    if (this.lostError || this.stopped) return;
    this.lostError = new LockError("LockLost", message, { key: this.options.key, cause });
    clearTimeout(this.deadlineTimer);
    clearTimeout(this.renewTimer);
    if (this.options.onEvent)
      emit(this.options.onEvent, { type: "lost", key: this.options.key, reason });
    this.controller?.abort(this.lostError);
  }
}
