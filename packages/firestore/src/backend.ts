import type { Firestore } from "@google-cloud/firestore";
import { LockError } from "@syncguard/core";
import {
  type DefinedBackend,
  defineBackend,
  type LockDriver,
  type ReleaseListener,
  type Unsubscribe,
} from "@syncguard/core/driver";
import { FIRESTORE_CAPABILITIES, type FirestoreCapabilities } from "./capabilities";
import { ClientCalls } from "./client-state";
import { type FirestoreBackendOptions, resolveConfig } from "./config";
import type { DriverContext } from "./context";
import { KeyGate } from "./key-gate";
import { acquire } from "./operations/acquire";
import { extend } from "./operations/extend";
import { isLocked } from "./operations/is-locked";
import { list } from "./operations/list";
import { firestorePermits } from "./operations/permits";
import { readByKey } from "./operations/read-by-key";
import { readByLockId } from "./operations/read-by-lock-id";
import { readFence } from "./operations/read-fence";
import { release } from "./operations/release";
import { SnapshotWatcher } from "./operations/watch";

export interface FirestoreBackend extends DefinedBackend<FirestoreCapabilities> {
  /** Wake-on-release through a snapshot listener on the lock document, shared per key. */
  subscribe(key: string, listener: ReleaseListener): Promise<Unsubscribe>;
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
 * (default "fence_counters"); see specs/firestore-backend.md. `close()` stops the snapshot
 * listeners, refuses further calls and waits for those still in the client, so terminating the
 * client afterwards is safe; the client itself stays open: it belongs to the caller.
 */
export function createFirestoreBackend(
  db: Firestore,
  options: FirestoreBackendOptions = {},
): FirestoreBackend {
  return defineBackend(createFirestoreDriver(db, options)) as FirestoreBackend;
}

/** The Firestore driver: stores and reads lock documents; core's `defineBackend` does the rest. */
export function createFirestoreDriver(
  db: Firestore,
  options: FirestoreBackendOptions = {},
): LockDriver<FirestoreCapabilities> {
  if (!looksLikeFirestore(db)) {
    throw new LockError("InvalidArgument", "createFirestoreBackend needs a Firestore instance");
  }
  const config = resolveConfig(options);
  const ctx: DriverContext = {
    db,
    config,
    locks: db.collection(config.collection),
    fences: db.collection(config.fenceCollection),
    acquireGate: new KeyGate(),
    calls: new ClientCalls(),
  };
  const watcher = new SnapshotWatcher(ctx);
  const { close: closePermits, ...permits } = firestorePermits(ctx);
  return {
    capabilities: FIRESTORE_CAPABILITIES,
    acquire: (input) => acquire(ctx, input),
    release: (input) => release(ctx, input),
    extend: (input) => extend(ctx, input),
    readByKey: (input) => readByKey(ctx, input),
    readByLockId: (input) => readByLockId(ctx, input),
    isLocked: (input) => isLocked(ctx, input),
    list: (input) => list(ctx, input),
    readFence: (input) => readFence(ctx, input),
    watch: (key, listener) => watcher.watch(key, listener),
    permits,
    ...(config.logger ? { logger: config.logger } : {}),
    // A test clock given to the backend is the one leases must compare expiry with.
    ...(options?.clock ? { clock: config.clock } : {}),
    async close() {
      watcher.close();
      closePermits();
      await ctx.calls.close(config.operationTimeoutMs);
    },
  };
}
