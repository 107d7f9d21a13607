import type { DocumentSnapshot } from "@google-cloud/firestore";
import { LockError, normalizeKey, type Unsubscribe } from "@syncguard/core";
import type { BackendContext } from "../context";
import { documentId } from "../documents";
import { OperationScope } from "../operation-scope";

/** One snapshot listener on one lock document, shared by every waiter of that key. */
interface Watch {
  readonly listeners: Set<() => void>;
  readonly ready: Promise<void>;
  stop: () => void;
}

/** What a waiter cares about: whether the document exists, and who holds it until when. */
function stateOf(snap: DocumentSnapshot): string {
  if (!snap.exists) return "";
  return `${String(snap.get("lockId"))}@${String(snap.get("expiresAtMs"))}`;
}

function notify(listeners: Set<() => void>): void {
  for (const listener of [...listeners]) {
    try {
      listener();
    } catch {
      // A throwing listener must not stop the others from waking.
    }
  }
}

/**
 * Wake-on-release for Firestore: a reference-counted snapshot listener per lock document.
 * Listeners run when the document is deleted or its holder or expiry changes (not when a free
 * key is taken: that would only cause failed attempts). Expiry without deletion produces no
 * snapshot; waiters cover it with the holder's remaining TTL reported by acquire.
 */
export class SnapshotHub {
  private readonly watches = new Map<string, Watch>();
  private closed = false;

  constructor(private readonly ctx: BackendContext) {}

  /** Waiters in this process for a normalized key. */
  waiterCount(normalizedKey: string): number {
    return this.watches.get(documentId(normalizedKey))?.listeners.size ?? 0;
  }

  async subscribe(key: string, listener: () => void): Promise<Unsubscribe> {
    const normalized = normalizeKey(key);
    if (typeof listener !== "function") {
      throw new LockError("InvalidArgument", "subscribe needs a listener function");
    }
    if (this.closed) throw new LockError("ServiceUnavailable", "The Firestore backend is closed");
    const id = documentId(normalized);
    const watch = this.watches.get(id) ?? this.start(id);
    watch.listeners.add(listener);
    let active = true;
    const unsubscribe: Unsubscribe = () => {
      if (!active) return;
      active = false;
      watch.listeners.delete(listener);
      if (watch.listeners.size === 0 && this.watches.get(id) === watch) {
        this.watches.delete(id);
        watch.stop();
      }
    };
    try {
      // Resolve only once the first snapshot is in: a release after this point is seen.
      await new OperationScope("subscribe", this.ctx.config, undefined).race(watch.ready);
    } catch (error) {
      unsubscribe();
      throw error;
    }
    return unsubscribe;
  }

  /** Stops every listener. Later subscribe calls fail; the backend's other methods still work. */
  close(): void {
    this.closed = true;
    for (const watch of this.watches.values()) watch.stop();
    this.watches.clear();
  }

  private start(id: string): Watch {
    let resolveReady: () => void = () => undefined;
    let rejectReady: (error: unknown) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    ready.catch(() => undefined); // observed by subscribe; never an unhandled rejection
    let last: string | undefined;
    const watch: Watch = { listeners: new Set(), ready, stop: () => undefined };
    this.watches.set(id, watch);
    watch.stop = this.ctx.locks.doc(id).onSnapshot(
      (snap) => {
        const state = stateOf(snap);
        const previous = last;
        last = state;
        if (previous === undefined) {
          resolveReady();
          return;
        }
        // Deleted, or a new holder/expiry; a document appearing on a free key wakes nobody.
        if (state !== previous && previous !== "") notify(watch.listeners);
      },
      (error) => {
        rejectReady(error);
        if (this.watches.get(id) === watch) this.watches.delete(id);
        // The channel is gone: wake the waiters so they fall back to polling.
        notify(watch.listeners);
      },
    );
    return watch;
  }
}
