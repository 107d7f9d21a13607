import type { DocumentSnapshot } from "@google-cloud/firestore";
import type { PermitDriver } from "@syncguard/core/driver";
import type { DriverContext } from "../context";
import { semaphoreDocumentId } from "../semaphore-document";
import { acquirePermit } from "./acquire-permit";
import { extendPermit } from "./extend-permit";
import { listPermit } from "./list-permit";
import { readPermit } from "./read-permit";
import { releasePermit } from "./release-permit";
import { SnapshotWatcher } from "./watch";

/** The permits holding the semaphore, as a snapshot shows them (ids only, sorted). */
function holdersOf(snap: DocumentSnapshot): string {
  const holders = snap.exists ? snap.get("holders") : undefined;
  return typeof holders === "object" && holders !== null
    ? Object.keys(holders).sort().join(" ")
    : "";
}

/** A permit that was there before and is gone now (released, or dropped once expired). */
function permitLeft(previous: string, state: string): boolean {
  if (previous === "") return false;
  const now = new Set(state.split(" "));
  return previous.split(" ").some((lockId) => !now.has(lockId));
}

/** The Firestore driver's semaphores (ADR-039), with wake-ups from a snapshot listener. */
export function firestorePermits(ctx: DriverContext): PermitDriver & { close(): void } {
  const watcher = new SnapshotWatcher(ctx, {
    document: (key) => ctx.fences.doc(semaphoreDocumentId(key)),
    stateOf: holdersOf,
    wakes: permitLeft,
  });
  return {
    acquire: (input) => acquirePermit(ctx, input),
    release: (input) => releasePermit(ctx, input),
    extend: (input) => extendPermit(ctx, input),
    watch: (key, listener) => watcher.watch(key, listener),
    read: (input) => readPermit(ctx, input),
    list: (input) => listPermit(ctx, input),
    close: () => watcher.close(),
  };
}
