import type { DocumentReference, DocumentSnapshot } from "@google-cloud/firestore";
import { LockError } from "@syncguard/core";
import type { ReleaseListener, Unsubscribe } from "@syncguard/core/driver";
import { closedError } from "../client-state";
import type { DriverContext } from "../context";
import { documentId } from "../documents";
import { OperationScope } from "../operation-scope";

/** What a waiter cares about: whether the document exists, and who holds it until when. */
function stateOf(snap: DocumentSnapshot): string {
  if (!snap.exists) return "";
  return `${String(snap.get("lockId"))}@${String(snap.get("expiresAtMs"))}`;
}

/** Deleted, or a new holder/expiry; a document appearing on a free key wakes nobody. */
const lockFreed = (previous: string, state: string): boolean =>
  state !== previous && previous !== "";

/** What one watcher watches: the document of a key, its state, and which changes wake waiters. */
export interface WatchTarget {
  document(key: string): DocumentReference;
  stateOf(snap: DocumentSnapshot): string;
  wakes(previous: string, state: string): boolean;
}

/**
 * Wake-on-release for Firestore: a snapshot listener on the key's lock document (core shares one
 * watch per key among all its waiters). The listener runs when the document is deleted or its
 * holder or expiry changes (not when a free key is taken: that would only cause failed
 * attempts). Expiry without deletion produces no snapshot; waiters cover it with the holder's
 * remaining TTL reported by acquire.
 */
export class SnapshotWatcher {
  private readonly stops = new Set<() => void>();
  private closed = false;

  private readonly target: WatchTarget;

  constructor(
    private readonly ctx: DriverContext,
    target?: WatchTarget,
  ) {
    this.target = target ?? {
      document: (key) => ctx.locks.doc(documentId(key)),
      stateOf,
      wakes: lockFreed,
    };
  }

  /** Resolves once the first snapshot is in, so a release after this point is seen. */
  async watch(key: string, listener: ReleaseListener): Promise<Unsubscribe> {
    if (this.closed) throw new LockError("ServiceUnavailable", "The Firestore backend is closed");
    const op = new OperationScope("subscribe", this.ctx, undefined);
    op.check(); // a listener on a terminated client would never start (see client-state.ts)
    const { target } = this;
    let resolveReady: () => void = () => undefined;
    let rejectReady: (error: unknown) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    ready.catch(() => undefined); // observed below; never an unhandled rejection
    let last: string | undefined;
    const stopListening = target.document(key).onSnapshot(
      (snap) => {
        const state = target.stateOf(snap);
        const previous = last;
        last = state;
        if (previous === undefined) {
          resolveReady();
          return;
        }
        if (target.wakes(previous, state)) listener();
      },
      (error) => {
        rejectReady(error);
        // The channel is gone: wake the waiters so they fall back to polling.
        listener();
      },
    );
    const stop = () => {
      if (!this.stops.delete(stop)) return;
      stopListening();
      // A watch still waiting for its first snapshot ends now (no-op once it has started).
      rejectReady(closedError("subscribe"));
    };
    this.stops.add(stop);
    try {
      await op.race(ready);
    } catch (error) {
      stop();
      throw error;
    }
    return stop;
  }

  /** Stops every listener. Later watches fail; the backend's other methods still work. */
  close(): void {
    this.closed = true;
    for (const stop of [...this.stops]) stop();
  }
}
