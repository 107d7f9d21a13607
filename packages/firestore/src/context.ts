import type { CollectionReference, Firestore } from "@google-cloud/firestore";
import type { ClientCalls } from "./client-state";
import type { FirestoreConfig } from "./config";
import type { KeyGate } from "./key-gate";

/** What every operation needs: the client, the resolved config and both collections. */
export interface DriverContext {
  readonly db: Firestore;
  readonly config: FirestoreConfig;
  readonly locks: CollectionReference;
  readonly fences: CollectionReference;
  /** Serializes this process's acquire transactions per document id. */
  readonly acquireGate: KeyGate;
  /** The calls in the client, and whether the backend was closed. */
  readonly calls: ClientCalls;
}
