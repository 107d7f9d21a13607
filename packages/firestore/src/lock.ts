import type { Firestore } from "@google-cloud/firestore";
import type { LockDefaults, LockFunction } from "@syncguard/core";
import { createStoreLock } from "@syncguard/core/driver";
import { createFirestoreBackend } from "./backend";
import type { FirestoreCapabilities } from "./capabilities";
import { FIRESTORE_BACKEND_OPTION_NAMES, type FirestoreBackendOptions } from "./config";

/** `createLock(db, options)`: the backend's options and lock defaults in one flat object. */
export type FirestoreLockOptions = FirestoreBackendOptions & LockDefaults;

/**
 * `const lock = createLock(db)` then `await lock(fn, { key })`: builds a Firestore backend once
 * and binds it to core's lock() wrapper (retries, release, renewal, wake-on-release). Backend
 * options (`collection`, ...) and lock defaults (`ttlMs`, `onEvent`, ...) sit side by side; an
 * unknown name is refused. `lock.close()` closes the backend it built, never your client.
 */
export function createLock(
  db: Firestore,
  options: FirestoreLockOptions = {},
): LockFunction<FirestoreCapabilities> {
  return createStoreLock(options, {
    backendOptionNames: FIRESTORE_BACKEND_OPTION_NAMES,
    createBackend: (backendOptions: FirestoreBackendOptions) =>
      createFirestoreBackend(db, backendOptions),
  });
}
