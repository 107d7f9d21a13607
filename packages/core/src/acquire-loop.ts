import { randomBytes } from "node:crypto";
import { backoffDelay } from "./backoff";
import { abortError, isLockError, isTransientCode, LockError } from "./errors";
import { emit } from "./events";
import { handoffDelayMs } from "./handoff";
import type { ResolvedLockOptions } from "./options";
import type { Clock } from "./time";
import type {
  AcquireOk,
  AcquireResult,
  BackendCapabilities,
  HolderInfo,
  LockBackend,
} from "./types";
import { interruptibleSleep } from "./wait";
import { joinActiveWaiters, joinWaiters, type WaitTicket } from "./wait-queue";

// Waiter ids only need to be unique: a random per-process prefix and a counter, no syscall each.
const waiterIdPrefix = randomBytes(9).toString("base64url");
let waiterCounter = 0;
const nextWaiterId = () => `${waiterIdPrefix}${(waiterCounter++).toString(36)}`;

/** Injected sources of time and randomness, so the engine is deterministic under test. */
export interface EngineDeps {
  clock: Clock;
  random: () => number;
}

export interface AcquiredLock<C extends BackendCapabilities> {
  result: AcquireOk<C>;
  attempts: number;
  waitedMs: number;
  /** Local clock reading taken just before the successful attempt was sent. */
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

/**
 * The retry engine: one attempt, then on contention wait and try again until the lock is won,
 * `timeoutMs` is spent or `maxRetries` timer-driven retries are used, whichever comes first.
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
  const { clock } = deps;
  const { signal } = options;
  const start = clock();
  const deadline = start + options.timeoutMs;
  // One id for the whole acquisition, so a backend's wait queue keeps this caller's place.
  const waiterId = nextWaiterId();
  // If this process already listens to the key, join now (free): no extra attempt needed later.
  let ticket: WaitTicket | undefined = joinActiveWaiters(backend, key, waiterId);
  let joined = ticket !== undefined;
  let attempts = 0;
  let timedRetries = 0;
  let holder: HolderInfo | undefined;
  let lastError: LockError | undefined;

  // Joining the local waiter queue subscribes to release notifications (once per process and
  // key); without a subscription the engine just polls.
  const join = async () => {
    if (joined) return;
    joined = true;
    // Bounded by the caller's budget and signal: a slow subscription never stalls the wait.
    ticket = await joinWaiters(backend, key, waiterId, {
      maxWaitMs: Math.max(0, deadline - clock()),
      ...(signal ? { signal } : {}),
    });
  };

  try {
    const handoffWait = Math.min(handoffDelayMs(backend, key, start), options.timeoutMs);
    if (handoffWait > 0) {
      await join();
      await interruptibleSleep(handoffWait, signal, ticket?.sleepHook);
    }
    for (;;) {
      if (signal?.aborted) throw abortError(signal, "Lock acquisition");
      attempts++;
      ticket?.consume();
      const sentAtMs = clock();
      let outcome: AcquireResult<C> | undefined;
      try {
        const waiter = {
          id: waiterId,
          timeoutMs: Math.max(1, deadline - sentAtMs),
          firstAttempt: attempts === 1,
        };
        outcome = await backend.acquire({
          key,
          ttlMs: options.ttlMs,
          waiter,
          ...(signal ? { signal } : {}),
        });
        lastError = undefined;
      } catch (error) {
        if (!isLockError(error)) {
          throw new LockError("Internal", `Backend acquire failed: ${String(error)}`, {
            cause: error,
            key,
          });
        }
        if (!isTransientCode(error.code)) throw error;
        lastError = error;
      }
      if (outcome?.ok) {
        if (signal?.aborted) {
          // The abort raced a successful attempt: give the lock back so nothing is left held.
          await backend.release({ lockId: outcome.lockId }).catch(() => undefined);
          throw abortError(signal, "Lock acquisition");
        }
        return { result: outcome, attempts, waitedMs: clock() - start, sentAtMs };
      }
      if (outcome) {
        holder = outcome.holder;
        emit(options.onEvent, {
          type: "contended",
          key,
          attempt: attempts,
          ...(holder?.remainingMs !== undefined ? { holderRemainingMs: holder.remainingMs } : {}),
        });
      }

      const now = clock();
      const giveUp = (reason: string) =>
        lastError ?? timeoutError(key, attempts, now - start, holder, reason);
      if (now >= deadline) throw giveUp(`timeout ${options.timeoutMs} ms reached`);
      if (ticket?.consume()) continue; // released while we were trying: retry at once
      if (timedRetries >= options.maxRetries) throw giveUp(`maxRetries ${options.maxRetries} used`);
      timedRetries++;
      if (backend.subscribe && !joined && !lastError) {
        await join(); // from here on no release can go unnoticed
        continue;
      }
      let delay = backoffDelay(timedRetries, options, deps.random);
      if (holder?.remainingMs !== undefined) delay = Math.min(delay, holder.remainingMs + 1);
      delay = Math.min(delay, deadline - now);
      const endedBy = await interruptibleSleep(delay, signal, ticket?.sleepHook);
      if (endedBy === "wake") timedRetries--; // a notified retry is free
    }
  } finally {
    ticket?.leave();
  }
}
