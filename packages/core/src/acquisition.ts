import { randomBytes } from "node:crypto";
import { inBackground } from "./background";
import { backoffDelay } from "./backoff";
import { abortError, isLockError, isTransientCode, LockError } from "./errors";
import { emit } from "./events";
import { isHeldHere } from "./held-here";
import type { LeaseSpace, SpaceAttemptInput } from "./lease-space";
import { generateLockId, lockIdKeyTag } from "./lock-id";
import type { ResolvedLockOptions } from "./options";
import { releaseOrphan } from "./orphan";
import { yieldDelayMs } from "./releaser-yield";
import { raceDeadline } from "./shared-timeout";
import type { MonotonicClock } from "./time";
import type {
  AcquireOk,
  AcquireResult,
  BackendCapabilities,
  HolderInfo,
  WaiterInfo,
} from "./types";
import { interruptibleSleep } from "./wait";
import { joinActiveWaiters, joinWaiters, type WaitTicket } from "./wait-queue";

// Waiter ids only need to be unique: a random per-process prefix and a counter, no syscall each.
const waiterIdPrefix = randomBytes(9).toString("base64url");
let waiterCounter = 0;
const nextWaiterId = () => `${waiterIdPrefix}${(waiterCounter++).toString(36)}`;

/** The least time an attempt gets to answer, even when sent just before the deadline. */
const ATTEMPT_GRACE_MS = 50;

/** Injected sources of time and randomness, so the engine is deterministic under test. */
export interface EngineDeps {
  /** Monotonic milliseconds: every deadline, wait and round trip is measured on it. */
  now: MonotonicClock;
  random: () => number;
}

export interface AcquiredLock<C extends BackendCapabilities> {
  result: AcquireOk<C>;
  attempts: number;
  waitedMs: number;
  /** Monotonic clock reading taken just before the successful attempt was sent. */
  sentAtMs: number;
}

/**
 * The retry engine (specs/interface.md §8.1): one attempt, then on contention wait and try again
 * until the lock is won, `timeoutMs` is spent or `maxRetries` timer-driven retries are used.
 */
export function acquireWithRetry<C extends BackendCapabilities>(
  space: LeaseSpace<C>,
  key: string,
  options: ResolvedLockOptions,
  deps: EngineDeps,
): Promise<AcquiredLock<C>> {
  return new Acquisition(space, key, options, deps).run();
}

/**
 * One acquisition: its attempts, its waits between them, and what it learned on the way.
 * - Every attempt is raced against the deadline and the signal: a backend that never answers (a
 *   frozen server, a black-holed connection) cannot hold the caller past either.
 * - All attempts carry one lockId, so an attempt whose outcome was unknown (a timeout, a lost
 *   reply) is reconciled by the next one: the backend reports the key already held by that
 *   lockId as acquired. An acquisition that ends without the lock while an attempt may have
 *   taken it gives that lockId back (`abandon`, the one place that does).
 * - When the backend can notify releases, the acquisition joins the key's local waiters before
 *   its second attempt, so a release can never fall between a failed attempt and the wait; a
 *   notified retry is immediate and does not count against `maxRetries`.
 * - It never sleeps past the holder's remaining lease when the backend reports it.
 * - Transient backend errors (ServiceUnavailable, RateLimited, NetworkTimeout) are retried like
 *   contention within the same budget; the last one is thrown if the budget runs out.
 */
class Acquisition<C extends BackendCapabilities> {
  private readonly start: number;
  private readonly deadline: number;
  private readonly lockId: string;
  /** One id for the whole acquisition, so a backend's wait queue keeps this caller's place. */
  private readonly waiterId = nextWaiterId();
  /** The caller's signal; once the acquisition waits, combined with its lock function's close. */
  private signal: AbortSignal | undefined;
  /** Aborted by `lock.close()`; joined to `signal` only when the acquisition waits (it is rare). */
  private closing: AbortSignal | undefined;

  private attempts = 0;
  private timedRetries = 0;
  /** What the last contended attempt learned about the holder (never its lockId). */
  private holder: HolderInfo | undefined;
  /** The transient error of the last attempt, if it failed with one. */
  private lastError: LockError | undefined;
  /** The waiter as the backend last saw it (to withdraw it from the backend's queue). */
  private lastWaiter: WaiterInfo | undefined;
  /** True while an attempt that may have taken the lock is not known to have failed. */
  private mayHold = false;
  /** The backend turned an attempt away: this waiter may sit in its queue. */
  private queued = false;
  private ticket: WaitTicket | undefined;
  private joined = false;

  constructor(
    private readonly space: LeaseSpace<C>,
    private readonly key: string,
    private readonly options: ResolvedLockOptions,
    private readonly deps: EngineDeps,
  ) {
    this.start = deps.now();
    this.deadline = this.start + options.timeoutMs;
    this.lockId = generateLockId(key);
    this.signal = options.signal;
    this.closing = options.closing;
    // If this process already listens to the key, join now (free): no extra attempt later.
    this.ticket = joinActiveWaiters(space, key, this.waiterId);
    this.joined = this.ticket !== undefined;
  }

  async run(): Promise<AcquiredLock<C>> {
    let won: AcquiredLock<C> | undefined;
    try {
      await this.yieldToWokenWaiters();
      for (;;) {
        won = await this.attempt();
        if (won) return won;
        await this.waitBeforeNextAttempt();
      }
    } catch (error) {
      this.report(error);
      throw error;
    } finally {
      this.ticket?.leave();
      if (!won) this.giveBack();
    }
  }

  /** After this process released the key to waiters, let them have it first (fair hand-off). */
  private async yieldToWokenWaiters(): Promise<void> {
    const wait = Math.min(yieldDelayMs(this.space, this.key, this.start), this.options.timeoutMs);
    if (wait <= 0) return;
    this.joinClosing();
    await this.join();
    await interruptibleSleep(wait, this.signal, this.ticket?.sleepHook);
  }

  /** One attempt: the lock, or undefined after recording why not (contention, transient error). */
  private async attempt(): Promise<AcquiredLock<C> | undefined> {
    const { signal, options, deps, closing } = this;
    if (signal?.aborted) throw abortError(signal, "Lock acquisition");
    if (closing?.aborted) throw abortError(closing, "Lock acquisition");
    this.attempts++;
    this.ticket?.consume();
    const sentAtMs = deps.now();
    const waiter: WaiterInfo = {
      id: this.waiterId,
      timeoutMs: Math.max(1, Math.ceil(this.deadline - sentAtMs)),
      budgetMs: Math.max(1, options.timeoutMs),
      firstAttempt: this.attempts === 1,
    };
    this.lastWaiter = waiter;
    const pending = this.space.attempt(this.attemptInput(waiter, signal));
    const raced = await raceDeadline(pending, this.attemptDeadline(sentAtMs), signal);
    switch (raced.by) {
      case "deadline":
      case "abort":
        // Abandoned in flight: if it lands after all, its lock is given back.
        this.abandon(pending);
        if (raced.by === "abort") throw abortError(signal as AbortSignal, "Lock acquisition");
        throw this.holder ? this.timeoutError("timeout reached") : this.unansweredError();
      case "error":
        this.noteFailedAttempt(raced.error);
        return undefined;
      case "value":
        return this.noteOutcome(raced.value, sentAtMs);
    }
  }

  /** What one attempt sends (built outside the async frame, which then stays as small as it was). */
  private attemptInput(waiter: WaiterInfo, signal: AbortSignal | undefined): SpaceAttemptInput {
    const input = {
      key: this.key,
      tag: lockIdKeyTag(this.lockId),
      ttlMs: this.options.ttlMs,
      lockId: this.lockId,
      waiter,
      ...(signal ? { signal } : {}),
    };
    const { permits } = this.options;
    return permits === undefined ? input : { ...input, permits };
  }

  /**
   * An attempt ends by the deadline; one sent just before it still gets a round trip's grace, and
   * the single attempt of `timeoutMs: 0` is bounded like a release.
   */
  private attemptDeadline(sentAtMs: number): number {
    return this.options.timeoutMs === 0
      ? sentAtMs + this.options.releaseTimeoutMs
      : Math.max(this.deadline, sentAtMs + ATTEMPT_GRACE_MS);
  }

  private noteFailedAttempt(error: unknown): void {
    // The engine view hands out LockErrors only; anything else is a broken invariant.
    const failure = isLockError(error)
      ? error
      : new LockError("Internal", `Backend acquire failed: ${String(error)}`, {
          cause: error,
          key: this.key,
        });
    if (!isTransientCode(failure.code)) throw failure;
    this.lastError = failure;
    // ServiceUnavailable means the attempt did not run; anything else may have taken the lock.
    if (failure.code !== "ServiceUnavailable") this.mayHold = true;
  }

  private noteOutcome(outcome: AcquireResult<C>, sentAtMs: number): AcquiredLock<C> | undefined {
    this.lastError = undefined;
    if (outcome.ok) {
      const aborted = this.signal?.aborted
        ? this.signal
        : this.closing?.aborted
          ? this.closing
          : undefined;
      if (aborted) {
        // The abort raced a successful attempt: give the lock back so nothing is left held.
        this.abandon(Promise.resolve(outcome));
        throw abortError(aborted, "Lock acquisition");
      }
      return {
        result: outcome,
        attempts: this.attempts,
        waitedMs: Math.round(this.deps.now() - this.start),
        sentAtMs,
      };
    }
    // Someone else holds the key: an earlier attempt of ours cannot have taken it.
    this.mayHold = false;
    this.queued = true;
    this.holder = outcome.holder;
    if (this.options.onEvent)
      emit(this.options.onEvent, {
        type: "contended",
        key: this.key,
        attempt: this.attempts,
        ...(outcome.holder?.remainingMs !== undefined
          ? { holderRemainingMs: outcome.holder.remainingMs }
          : {}),
      });
    return undefined;
  }

  /** Waits until the next attempt is due (a wake-up, or the backoff), or throws when it is not. */
  private async waitBeforeNextAttempt(): Promise<void> {
    const { options } = this;
    const at = this.deps.now();
    if (at >= this.deadline) throw this.giveUp(`timeout ${options.timeoutMs} ms reached`, at);
    if (this.ticket?.consume()) return; // released while we were trying: retry at once
    if (this.timedRetries >= options.maxRetries) {
      // Retries end before the time does: say which option to raise to wait longer.
      throw this.giveUp(
        `maxRetries ${options.maxRetries} used before timeoutMs ${options.timeoutMs}; raise maxRetries to wait longer`,
        at,
      );
    }
    this.timedRetries++;
    this.joinClosing();
    if (this.space.subscribe && !this.joined && !this.lastError) {
      await this.join(); // from here on no release can go unnoticed
      return;
    }
    let delay = backoffDelay(this.timedRetries, options, this.deps.random);
    const remainingMs = this.holder?.remainingMs;
    if (remainingMs !== undefined) delay = Math.min(delay, remainingMs + 1);
    delay = Math.min(delay, this.deadline - at);
    const endedBy = await interruptibleSleep(delay, this.signal, this.ticket?.sleepHook);
    if (endedBy === "wake") this.timedRetries--; // a notified retry is free
  }

  /**
   * Joins the local waiter queue, subscribing to release notifications (once per process and
   * key); without a subscription the acquisition just polls. Bounded by the caller's budget and
   * signal: a slow subscription never stalls the wait.
   */
  private async join(): Promise<void> {
    if (this.joined) return;
    this.joined = true;
    this.ticket = await joinWaiters(this.space, this.key, this.waiterId, {
      maxWaitMs: Math.max(0, this.deadline - this.deps.now()),
      ...(this.signal ? { signal: this.signal } : {}),
    });
  }

  /** From the first wait on, `lock.close()` ends this acquisition's waits and attempts at once. */
  private joinClosing(): void {
    const { closing } = this;
    if (!closing) return;
    this.closing = undefined;
    this.signal = this.signal ? AbortSignal.any([this.signal, closing]) : closing;
  }

  /** The error to end with: the last transient one, or AcquisitionTimeout. */
  private giveUp(reason: string, at: number): LockError {
    return this.lastError ?? this.timeoutError(reason, at);
  }

  private timeoutError(reason: string, at = this.deps.now()): LockError {
    const { holder, attempts, key } = this;
    const waitedMs = Math.round(at - this.start);
    const known =
      holder?.fence !== undefined || holder?.remainingMs !== undefined
        ? `; holder fence ${holder?.fence ?? "unknown"}, ${holder?.remainingMs ?? "unknown"} ms left`
        : "";
    const semaphore = this.space.kind === "semaphore";
    const selfHeld = !isHeldHere(this.space, key)
      ? ""
      : semaphore
        ? ". This process holds permits of this semaphore itself (not released yet): work that " +
          "holds a permit and waits for another can wait for itself"
        : ". This process holds the key itself (a lock() or handle not released yet): locks are " +
          "not re-entrant, so a lock() on a key inside work that holds it waits for itself";
    const what = semaphore
      ? `a permit of semaphore ${describeKey(key)} (permits ${this.options.permits})`
      : `lock ${describeKey(key)}`;
    return new LockError(
      "AcquisitionTimeout",
      `Failed to acquire ${what} after ${waitedMs} ms (${attempts} attempts, ${reason})${known}${selfHeld}`,
      { key, details: { attempts, waitedMs, ...(holder ? { holder: { ...holder } } : {}) } },
    );
  }

  private unansweredError(): LockError {
    // The attempt before the unanswered one failed: its error is the likely reason (an outage, a
    // durability shortfall), so it is named and kept as the cause.
    const { lastError } = this;
    return new LockError(
      "NetworkTimeout",
      `${this.space.kind === "semaphore" ? "Permit" : "Lock"} acquisition of ${describeKey(this.key)}: the backend did not answer within timeoutMs ` +
        `(${this.options.timeoutMs} ms); the last attempt's outcome is unknown, and if it took ` +
        "the lock it is released once the backend answers" +
        (lastError ? `. The attempt before it failed: ${lastError.message}` : ""),
      { key: this.key, ...(lastError ? { cause: lastError } : {}) },
    );
  }

  /** Emits how the acquisition ended: skipped (ifFree on a held key) or failed. */
  private report(error: unknown): void {
    const waitedMs = Math.round(this.deps.now() - this.start);
    const { key, attempts, options } = this;
    if (options.skipIfHeld && isLockError(error, "AcquisitionTimeout")) {
      if (options.onEvent) emit(options.onEvent, { type: "skipped", key, attempts, waitedMs });
    } else {
      const code = isLockError(error) ? error.code : "Internal";
      if (options.onEvent) emit(options.onEvent, { type: "failed", key, code, attempts, waitedMs });
    }
  }

  /**
   * Gives back whatever an attempt of this acquisition may hold: `pending` is an attempt's
   * outcome (in flight, or already known). The one place an acquisition releases an orphan.
   */
  private abandon(pending: Promise<unknown>): void {
    // An earlier attempt of this lockId may have landed too (a reply lost to a timeout): then the
    // lockId is released whatever this last attempt turns out to be, even "never sent".
    const earlierMayHold = this.mayHold;
    this.mayHold = false;
    releaseOrphan(this.space, this.key, this.lockId, pending, this.options.ttlMs, earlierMayHold);
  }

  /** Ended without the lock: release an attempt of unknown outcome, leave the backend's queue. */
  private giveBack(): void {
    if (this.mayHold) this.abandon(Promise.resolve(undefined));
    // A waiter that gave up must not be handed the key later.
    const { space } = this;
    const { withdraw } = space;
    const waiter = this.lastWaiter;
    if (this.queued && waiter && withdraw) {
      inBackground(space.view, () => withdraw.call(space, this.key, waiter));
    }
  }
}

/** A key as error messages show it: quoted, cut to 64 characters. */
function describeKey(key: string): string {
  return JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key);
}
