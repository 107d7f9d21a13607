import { abortError, LockError } from "@syncguard/core";

/** A point in (real) time after which an operation gives up. */
export class Deadline {
  private readonly at: number;

  constructor(
    readonly timeoutMs: number,
    private readonly operation: string,
  ) {
    this.at = Date.now() + timeoutMs;
  }

  remainingMs(): number {
    return this.at - Date.now();
  }

  error(cause?: unknown): LockError {
    return new LockError(
      "NetworkTimeout",
      `Firestore ${this.operation} did not complete within ${this.timeoutMs} ms; its outcome is unknown`,
      cause === undefined ? {} : { cause },
    );
  }

  /** Throws NetworkTimeout once the deadline has passed. Called before any write is queued. */
  check(): void {
    if (this.remainingMs() <= 0) throw this.error();
  }

  /**
   * Settles like `promise`, or rejects with NetworkTimeout when the deadline passes first, or
   * with Aborted when `signal` fires first. Only for calls that are safe to abandon (reads): the
   * Firestore client cannot cancel a call, so a late settlement is observed and dropped.
   */
  race<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortError(signal as AbortSignal, this.operation));
      };
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const timer = setTimeout(
        () => {
          done();
          reject(this.error());
        },
        Math.max(0, this.remainingMs()),
      );
      timer.unref?.();
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
      promise.then(
        (value) => {
          done();
          resolve(value);
        },
        (error: unknown) => {
          done();
          reject(error);
        },
      );
    });
  }
}
