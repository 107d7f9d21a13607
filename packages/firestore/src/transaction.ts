import type { Firestore, Transaction } from "@google-cloud/firestore";
import {
  abortError,
  type BackoffPolicy,
  backoffDelay,
  interruptibleSleep,
  throwIfAborted,
} from "@syncguard/core";
import type { FirestoreConfig } from "./config";
import { Deadline } from "./deadline";
import { isContention, toFirestoreLockError } from "./errors";

/**
 * ABORTED (contention) retry policy, two levels:
 * - inside one `runTransaction` call the Firestore client retries up to `CLIENT_ATTEMPTS` times
 *   with its own jittered exponential backoff, passing the aborted transaction's id so the retry
 *   keeps its place (measured on the emulator: 4-6 colliding transactions all finish in ~3 s;
 *   retrying with fresh transactions instead livelocked: every one of 4 timed out, repeatedly);
 * - if contention outlasts that, the operation starts over (re-running its lock-free precheck)
 *   up to `ROUNDS` times, sleeping per core's `backoffDelay` with `CONTENTION_BACKOFF`.
 * Everything is bounded by `operationTimeoutMs`; what remains is reported as ServiceUnavailable.
 */
export const CLIENT_ATTEMPTS = 5;
export const ROUNDS = 3;
export const CONTENTION_BACKOFF: BackoffPolicy = {
  retryDelayMs: 100,
  maxRetryDelayMs: 1000,
  jitter: "full",
};

/** Passed to a transaction body: call `checkpoint()` after the reads, before queuing writes. */
export interface TransactionScope {
  tx: Transaction;
  checkpoint: () => void;
}

export interface TransactionRun<T> {
  db: Firestore;
  config: FirestoreConfig;
  operation: string;
  signal: AbortSignal | undefined;
  /** Shared with reads made earlier in the same operation; a fresh one otherwise. */
  deadline?: Deadline;
  /**
   * Runs before every round, outside the transaction: a result ends the operation without a
   * transaction (acquire uses a lock-free read to answer "locked" cheaply).
   */
  precheck?: () => Promise<T | undefined>;
}

/**
 * One `runTransaction` call that gives up early on abort or deadline, but never while a commit
 * may be in flight: a write that lands after we reported "Aborted" would leave an unknown lock.
 * Once given up, the body's checkpoint stops any later attempt before it writes.
 */
function attemptOnce<T>(
  run: TransactionRun<T>,
  deadline: Deadline,
  body: (scope: TransactionScope) => Promise<T>,
): Promise<T> {
  const { db, operation, signal } = run;
  let committing = false;
  let abandoned = false;
  const checkpoint = () => {
    if (abandoned || signal?.aborted) throw abortError(signal as AbortSignal, operation);
    deadline.check();
  };
  const transaction = db.runTransaction(
    async (tx) => {
      committing = false;
      const result = await body({ tx, checkpoint });
      checkpoint();
      committing = true; // the client commits as soon as we return
      return result;
    },
    { maxAttempts: CLIENT_ATTEMPTS },
  );
  if (!signal) return deadline.race(transaction);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      if (committing) return; // wait for the commit's outcome instead
      abandoned = true;
      reject(abortError(signal, operation));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    deadline.race(transaction).then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Runs one read-write transaction; ABORTED is retried with backoff, everything else mapped. */
export async function runLockTransaction<T>(
  run: TransactionRun<T>,
  body: (scope: TransactionScope) => Promise<T>,
): Promise<T> {
  const { config, operation, signal } = run;
  const deadline = run.deadline ?? new Deadline(config.operationTimeoutMs, operation);
  for (let round = 1; ; round++) {
    throwIfAborted(signal, operation);
    try {
      const early = run.precheck ? await deadline.race(run.precheck(), signal) : undefined;
      if (early !== undefined) return early;
      return await attemptOnce(run, deadline, body);
    } catch (error) {
      const delay = backoffDelay(round, CONTENTION_BACKOFF);
      const retry = isContention(error) && round < ROUNDS && deadline.remainingMs() > delay;
      if (!retry) throw toFirestoreLockError(error, operation, config.collection);
      await interruptibleSleep(delay, signal, undefined, operation);
    }
  }
}
