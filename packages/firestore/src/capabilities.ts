import type { BackendCapabilities } from "@syncguard/core";

export interface FirestoreCapabilities extends BackendCapabilities {
  readonly backend: "firestore";
  readonly supportsFencing: true;
  /** Expiry is judged by the client clock (Firestore offers no server-time read). */
  readonly timeAuthority: "client";
}

export const FIRESTORE_CAPABILITIES: Readonly<FirestoreCapabilities> = Object.freeze({
  backend: "firestore",
  supportsFencing: true,
  timeAuthority: "client",
});
