import type { Firestore } from "@google-cloud/firestore";
import { createLock as bindLock, type LockDefaults, type LockFunction } from "@syncguard/core";
import { createFirestoreBackend } from "./backend";
import type { FirestoreCapabilities } from "./capabilities";
import type { FirestoreBackendOptions } from "./config";

export interface FirestoreLockOptions extends FirestoreBackendOptions {
  /** Defaults for every `lock()` call made through the returned function. */
  defaults?: LockDefaults;
}

/**
 * `const lock = createLock(db)` then `await lock(fn, { key })`: builds a Firestore backend once
 * and binds it to core's lock() wrapper (retries, release, auto-extend, wake-on-release).
 */
export function createLock(
  db: Firestore,
  options: FirestoreLockOptions = {},
): LockFunction<FirestoreCapabilities> {
  const { defaults, ...backendOptions } = options;
  return bindLock(createFirestoreBackend(db, backendOptions), defaults);
}
