import type { Firestore } from "@google-cloud/firestore";
import { type LockBackend, LockError, type Unsubscribe } from "@syncguard/core";
import { FIRESTORE_CAPABILITIES, type FirestoreCapabilities } from "./capabilities";
import { type FirestoreBackendOptions, resolveConfig } from "./config";
import type { BackendContext } from "./context";
import { KeyGate } from "./key-gate";
import { acquire } from "./operations/acquire";
import { extend } from "./operations/extend";
import { isLocked } from "./operations/is-locked";
import { lookup } from "./operations/lookup";
import { release } from "./operations/release";
import { SnapshotHub } from "./operations/subscribe";

export interface FirestoreBackend extends LockBackend<FirestoreCapabilities> {
  /** Wake-on-release through a shared snapshot listener on the lock document. */
  subscribe(key: string, listener: () => void): Promise<Unsubscribe>;
  /** Stops the snapshot listeners. The Firestore client stays open: it belongs to the caller. */
  close(): Promise<void>;
}

function looksLikeFirestore(db: unknown): db is Firestore {
  return (
    typeof db === "object" &&
    db !== null &&
    typeof (db as Firestore).collection === "function" &&
    typeof (db as Firestore).runTransaction === "function"
  );
}

/**
 * A SyncGuard backend on Firestore. Validates its options synchronously (InvalidArgument).
 * Lock documents live in `collection` (default "locks"), fence counters in `fenceCollection`
 * (default "fence_counters"); see specs/firestore-backend.md.
 */
export function createFirestoreBackend(
  db: Firestore,
  options: FirestoreBackendOptions = {},
): FirestoreBackend {
  if (!looksLikeFirestore(db)) {
    throw new LockError("InvalidArgument", "createFirestoreBackend needs a Firestore instance");
  }
  const config = resolveConfig(options);
  const ctx: BackendContext = {
    db,
    config,
    locks: db.collection(config.collection),
    fences: db.collection(config.fenceCollection),
    acquireGate: new KeyGate(),
  };
  const hub = new SnapshotHub(ctx);
  return {
    capabilities: FIRESTORE_CAPABILITIES,
    acquire: (opts) => acquire(ctx, opts),
    async release(opts) {
      const { ok, key } = await release(ctx, opts);
      // Only waiters in this process are known; others are woken by their own listeners.
      return ok && key !== undefined && hub.waiterCount(key) > 0 ? { ok, contended: true } : { ok };
    },
    extend: (opts) => extend(ctx, opts),
    isLocked: (opts) => isLocked(ctx, opts),
    lookup: (opts) => lookup(ctx, opts),
    subscribe: (key, listener) => hub.subscribe(key, listener),
    async close() {
      hub.close();
    },
  };
}
