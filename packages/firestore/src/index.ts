export { createFirestoreBackend, type FirestoreBackend } from "./backend";
export { FIRESTORE_CAPABILITIES, type FirestoreCapabilities } from "./capabilities";
export { FIRESTORE_DEFAULTS, type FirestoreBackendOptions, MAX_ID_BYTES } from "./config";
export { documentId, type FenceDocument, type LockDocument } from "./documents";
export { classifyFirestoreError } from "./errors";
export { assertFenceInTransaction } from "./fence-guard";
export { createLock, type FirestoreLockOptions } from "./lock";
