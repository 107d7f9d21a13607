import type { Firestore } from "@google-cloud/firestore";
import { LockError } from "@syncguard/core";
import { monotonicClock, raceDeadline } from "@syncguard/core/driver";

/**
 * True once the caller terminated the Firestore client. The SDK (7.x and 8.x) refuses requests
 * from then on, but for its streaming reads (document gets, queries, a transaction's reads,
 * snapshot listeners) it drops the refusal: a rejection nobody handles, which under Node's default
 * ends the process, and a read that never settles. So no read is started on a terminated client.
 * The SDK has no public flag; its client pool's is read, and a client without one counts as open.
 */
export function isTerminated(db: Firestore): boolean {
  const pool = (db as unknown as { _clientPool?: { terminated?: unknown } })._clientPool;
  return pool?.terminated === true;
}

/** The SDK's own message for a request on a terminated client. */
export const TERMINATED_MESSAGE = "The client has already been terminated";

export function terminatedError(operation: string): LockError {
  return new LockError(
    "ServiceUnavailable",
    `Firestore ${operation}: the Firestore client was terminated; nothing was sent`,
  );
}

export function closedError(operation: string): LockError {
  return new LockError(
    "ServiceUnavailable",
    `Firestore ${operation}: the backend was closed; nothing was sent`,
  );
}

/**
 * The backend's calls into the Firestore client. The SDK sends a read a timer tick after it was
 * started, so terminating the client right after a read began leaves that read's refusal
 * unhandled (see `isTerminated`), even when this backend stopped waiting for it long before (an
 * aborted call answers at once). `close()` therefore refuses new calls and waits for those still
 * in the client: after it, `db.terminate()` is safe.
 */
export class ClientCalls {
  private readonly pending = new Set<Promise<unknown>>();
  closed = false;

  /** Notes a promise the client returned, until it settles. */
  track<T>(call: Promise<T>): Promise<T> {
    const settled = call.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(settled);
    void settled.then(() => this.pending.delete(settled));
    return call;
  }

  /** Refuses further calls and waits (at most `timeoutMs`) for the client's pending ones. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    const deadline = monotonicClock() + timeoutMs;
    while (this.pending.size > 0) {
      const outcome = await raceDeadline(Promise.all(this.pending), deadline);
      if (outcome.by !== "value") return;
    }
  }
}
