import type { Firestore } from "@google-cloud/firestore";
import type { LockError } from "@syncguard/core";
import { monotonicClock, raceDeadline } from "@syncguard/core/driver";
import { type ClientCalls, closedError, isTerminated, terminatedError } from "./client-state";
import type { FirestoreConfig } from "./config";
import { abortedError, timeoutError, toFirestoreLockError } from "./errors";

/**
 * One backend call: its deadline (`operationTimeoutMs` on the monotonic clock), its signal, and
 * whether it has sent a commit yet. That last fact decides what a failure means: before any commit
 * nothing was written (`ServiceUnavailable`, safe to retry blindly); after one, the write may have
 * landed (`NetworkTimeout`, outcome unknown).
 */
export class OperationScope {
  private readonly deadlineAt: number;
  /** Set when a transaction hands its writes to the client to commit; never reset. */
  commitSent = false;

  private readonly config: FirestoreConfig;
  private readonly db: Firestore;
  private readonly calls: ClientCalls;

  constructor(
    readonly name: string,
    context: {
      readonly config: FirestoreConfig;
      readonly db: Firestore;
      readonly calls: ClientCalls;
    },
    readonly signal: AbortSignal | undefined,
  ) {
    this.config = context.config;
    this.db = context.db;
    this.calls = context.calls;
    this.deadlineAt = monotonicClock() + this.config.operationTimeoutMs;
  }

  remainingMs(): number {
    return this.deadlineAt - monotonicClock();
  }

  /**
   * Throws Aborted, the timeout error or ServiceUnavailable (the client was terminated) if the
   * call must stop. Called before every read is started and before writes are queued.
   */
  check(): void {
    if (this.signal?.aborted) throw this.aborted();
    if (this.remainingMs() <= 0) throw this.timedOut();
    if (this.calls.closed) throw closedError(this.name);
    if (isTerminated(this.db)) throw terminatedError(this.name);
  }

  /**
   * Settles like `promise`, or throws Aborted / the timeout error as soon as the signal fires or
   * the deadline passes. The Firestore client cannot cancel a call: a call given up on keeps
   * running and its late outcome is dropped. Errors are mapped to LockErrors.
   */
  async race<T>(promise: Promise<T>): Promise<T> {
    const outcome = await raceDeadline(this.calls.track(promise), this.deadlineAt, this.signal);
    switch (outcome.by) {
      case "value":
        return outcome.value;
      case "error":
        throw this.fail(outcome.error);
      case "abort":
        throw this.aborted();
      case "deadline":
        throw this.timedOut();
    }
  }

  /** Any error thrown during the call, as the LockError it means at this point. */
  fail(error: unknown): LockError {
    return toFirestoreLockError(error, this.name, this.config.collection, this.commitSent);
  }

  aborted(): LockError {
    return abortedError(this.signal, this.name, this.commitSent);
  }

  timedOut(): LockError {
    return timeoutError(this.name, this.config.operationTimeoutMs, this.commitSent);
  }
}
