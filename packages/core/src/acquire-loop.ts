import { randomBytes } from "node:crypto";
import { inBackground } from "./background";
import { backoffDelay } from "./backoff";
import { engineView } from "./engine-view";
import { abortError, isLockError, isTransientCode, LockError } from "./errors";
import { emit } from "./events";
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
  LockBackend,
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

function timeoutError(
  key: string,
  attempts: number,
  waitedMs: number,
  holder: HolderInfo | undefined,
  reason: string,
): LockError {
  const known =
    holder?.fence !== undefined || holder?.remainingMs !== undefined
      ? `; holder fence ${holder?.fence ?? "unknown"}, ${holder?.remainingMs ?? "unknown"} ms left`
      : "";
  const details: { attempts: number; waitedMs: number; holder?: HolderInfo } = {
    attempts,
    waitedMs,
  };
  if (holder) details.holder = { ...holder };
  return new LockError(
    "AcquisitionTimeout",
    `Failed to acquire lock after ${waitedMs} ms (${attempts} attempts, ${reason})${known}`,
    { key, details },
  );
}

function unansweredError(key: string, timeoutMs: number): LockError {
  return new LockError(
    "NetworkTimeout",
    `Lock acquisition: the backend did not answer within timeoutMs (${timeoutMs} ms); the last ` +
      "attempt's outcome is unknown, and if it took the lock it is released once the backend answers",
    { key },
  );
}

/**
 * The retry engine: one attempt, then on contention wait and try again until the lock is won,
 * `timeoutMs` is spent or `maxRetries` timer-driven retries are used, whichever comes first.
 * - Every attempt is raced against the deadline and the signal: a backend that never answers
 *   (a frozen server, a black-holed connection) cannot hold the caller past either.
 * - All attempts of one acquisition carry one lockId, so an attempt whose outcome was unknown (a
 *   timeout, a lost reply) is reconciled by the next one: the backend reports the key already
 *   held by that lockId as acquired. If the acquisition ends without the lock while an outcome is
 *   still unknown, the lockId is released in the background once the backend answers.
 * - When the backend can notify releases, the engine subscribes before its second attempt, so a
 *   release can never fall between a failed attempt and the wait; a notified retry is immediate
 *   and does not count against `maxRetries`.
 * - It never sleeps past the holder's remaining lease when the backend reports it.
 * - Transient backend errors (ServiceUnavailable, RateLimited, NetworkTimeout) are retried like
 *   contention within the same budget; the last one is thrown if the budget runs out.
 */
export async function acquireWithRetry<C extends BackendCapabilities>(
  backend: LockBackend<C>,
  key: string,
  options: ResolvedLockOptions,
  deps: EngineDeps,
): Promise<AcquiredLock<C>> {
  const { now } = deps;
  const { signal } = options;
  const start = now();
  const deadline = start + options.timeoutMs;
  const view = engineView(backend);
  const lockId = generateLockId(key);
  const tag = lockIdKeyTag(lockId);
  // One id for the whole acquisition, so a backend's wait queue keeps this caller's place.
  const waiterId = nextWaiterId();
  const budgetMs = Math.max(1, options.timeoutMs);
  // If this process already listens to the key, join now (free): no extra attempt needed later.
  let ticket: WaitTicket | undefined = joinActiveWaiters(view, key, waiterId);
  let joined = ticket !== undefined;
  let attempts = 0;
  let timedRetries = 0;
  let holder: HolderInfo | undefined;
  let lastError: LockError | undefined;
  let lastWaiter: WaiterInfo | undefined;
  // True while an attempt that may have taken the lock is not yet known to have failed.
  let outcomeUnknown = false;
  let queued = false;
  let won = false;

  // An attempt ends by the deadline; one sent just before it still gets a round trip's grace, and
  // the single attempt of `timeoutMs: 0` is bounded like a release.
  const attemptDeadline = (sentAtMs: number) =>
    options.timeoutMs === 0
      ? sentAtMs + options.releaseTimeoutMs
      : Math.max(deadline, sentAtMs + ATTEMPT_GRACE_MS);

  // Joining the local waiter queue subscribes to release notifications (once per process and
  // key); without a subscription the engine just polls.
  const join = async () => {
    if (joined) return;
    joined = true;
    // Bounded by the caller's budget and signal: a slow subscription never stalls the wait.
    ticket = await joinWaiters(view, key, waiterId, {
      maxWaitMs: Math.max(0, deadline - now()),
      ...(signal ? { signal } : {}),
    });
  };

  try {
    const yieldWait = Math.min(yieldDelayMs(view, key, start), options.timeoutMs);
    if (yieldWait > 0) {
      await join();
      await interruptibleSleep(yieldWait, signal, ticket?.sleepHook);
    }
    for (;;) {
      if (signal?.aborted) throw abortError(signal, "Lock acquisition");
      attempts++;
      ticket?.consume();
      const sentAtMs = now();
      lastWaiter = {
        id: waiterId,
        timeoutMs: Math.max(1, Math.ceil(deadline - sentAtMs)),
        budgetMs,
        firstAttempt: attempts === 1,
      };
      const attempt = view.attempt({
        key,
        tag,
        ttlMs: options.ttlMs,
        lockId,
        waiter: lastWaiter,
        ...(signal ? { signal } : {}),
      });
      const raced = await raceDeadline(attempt, attemptDeadline(sentAtMs), signal);
      if (raced.by === "deadline" || raced.by === "abort") {
        // Abandoned in flight: if it lands after all, its lock is given back.
        releaseOrphan(backend, lockId, attempt, options.ttlMs);
        outcomeUnknown = false; // handed to releaseOrphan
        if (raced.by === "abort") throw abortError(signal as AbortSignal, "Lock acquisition");
        if (holder) {
          throw timeoutError(key, attempts, Math.round(now() - start), holder, "timeout reached");
        }
        throw unansweredError(key, options.timeoutMs);
      }
      let outcome: AcquireResult<C> | undefined;
      if (raced.by === "value") {
        outcome = raced.value;
        lastError = undefined;
      } else {
        const error = raced.error;
        if (!isLockError(error)) {
          throw new LockError("Internal", `Backend acquire failed: ${String(error)}`, {
            cause: error,
            key,
          });
        }
        if (!isTransientCode(error.code)) throw error;
        lastError = error;
        // ServiceUnavailable means the attempt did not run; anything else may have taken the lock.
        if (error.code !== "ServiceUnavailable") outcomeUnknown = true;
      }
      if (outcome?.ok) {
        won = true;
        if (signal?.aborted) {
          // The abort raced a successful attempt: give the lock back so nothing is left held.
          releaseOrphan(backend, lockId, Promise.resolve(outcome), options.ttlMs);
          throw abortError(signal, "Lock acquisition");
        }
        return { result: outcome, attempts, waitedMs: Math.round(now() - start), sentAtMs };
      }
      if (outcome) {
        // Someone else holds the key: an earlier attempt of ours cannot have taken it.
        outcomeUnknown = false;
        queued = true;
        holder = outcome.holder;
        emit(options.onEvent, {
          type: "contended",
          key,
          attempt: attempts,
          ...(holder?.remainingMs !== undefined ? { holderRemainingMs: holder.remainingMs } : {}),
        });
      }

      const at = now();
      const waited = Math.round(at - start);
      const giveUp = (reason: string) =>
        lastError ?? timeoutError(key, attempts, waited, holder, reason);
      if (at >= deadline) throw giveUp(`timeout ${options.timeoutMs} ms reached`);
      if (ticket?.consume()) continue; // released while we were trying: retry at once
      if (timedRetries >= options.maxRetries) throw giveUp(`maxRetries ${options.maxRetries} used`);
      timedRetries++;
      if (view.subscribe && !joined && !lastError) {
        await join(); // from here on no release can go unnoticed
        continue;
      }
      let delay = backoffDelay(timedRetries, options, deps.random);
      if (holder?.remainingMs !== undefined) delay = Math.min(delay, holder.remainingMs + 1);
      delay = Math.min(delay, deadline - at);
      const endedBy = await interruptibleSleep(delay, signal, ticket?.sleepHook);
      if (endedBy === "wake") timedRetries--; // a notified retry is free
    }
  } catch (error) {
    const waitedMs = Math.round(now() - start);
    if (options.skipIfHeld && isLockError(error, "AcquisitionTimeout")) {
      emit(options.onEvent, { type: "skipped", key, attempts, waitedMs });
    } else {
      const code = isLockError(error) ? error.code : "Internal";
      emit(options.onEvent, { type: "failed", key, code, attempts, waitedMs });
    }
    throw error;
  } finally {
    ticket?.leave();
    if (!won) {
      if (outcomeUnknown) releaseOrphan(backend, lockId, Promise.resolve(undefined), options.ttlMs);
      // A waiter that gave up must not be handed the key later.
      const { withdraw } = view;
      if (queued && lastWaiter && withdraw) {
        const waiter = lastWaiter;
        inBackground(view, () => withdraw.call(view, key, waiter));
      }
    }
  }
}
