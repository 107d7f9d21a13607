import type { Firestore, Transaction } from "@google-cloud/firestore";
import { abortError, type BackoffPolicy, backoffDelay, throwIfAborted } from "@syncguard/core";
import type { FirestoreConfig } from "./config";
import { Deadline } from "./deadline";
import { isContention, toFirestoreLockError } from "./errors";

/**
 * ABORTED (contention) retry policy: up to 8 attempts in all, 20 ms doubling to at most 500 ms,
 * full jitter so colliding transactions spread out. The client's own retry is turned off
 * (`maxAttempts: 1`): it would also retry outages with a 1 s+ backoff and ignore our signal.
 */
export const TRANSACTION_ATTEMPTS = 8;
export const CONTENTION_BACKOFF: BackoffPolicy = {
  retryDelayMs: 20,
  maxRetryDelayMs: 500,
  jitter: "full",
};

/** Passed to a transaction body: call `checkpoint()` after the reads, before queuing writes. */
export interface TransactionScope {
  tx: Transaction;
  checkpoint: () => void;
}

export interface TransactionRun {
  db: Firestore;
  config: FirestoreConfig;
  operation: string;
  signal: AbortSignal | undefined;
}

function sleep(ms: number, signal: AbortSignal | undefined, operation: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal as AbortSignal, operation));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Runs one read-write transaction; ABORTED is retried with backoff, everything else mapped. */
export async function runLockTransaction<T>(
  run: TransactionRun,
  body: (scope: TransactionScope) => Promise<T>,
): Promise<T> {
  const { db, config, operation, signal } = run;
  const deadline = new Deadline(config.operationTimeoutMs, operation);
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(signal, operation);
    try {
      const attemptPromise = db.runTransaction(
        (tx) =>
          body({
            tx,
            checkpoint: () => {
              // An abort or a spent deadline stops before any write: the transaction rolls back.
              throwIfAborted(signal, operation);
              deadline.check();
            },
          }),
        { maxAttempts: 1 },
      );
      return await deadline.race(attemptPromise);
    } catch (error) {
      const delay = backoffDelay(attempt, CONTENTION_BACKOFF);
      const retry =
        isContention(error) && attempt < TRANSACTION_ATTEMPTS && deadline.remainingMs() > delay;
      if (!retry) throw toFirestoreLockError(error, operation, config.collection);
      await sleep(delay, signal, operation);
    }
  }
}
