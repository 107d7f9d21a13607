import type { CollectionReference, Query, QuerySnapshot } from "@google-cloud/firestore";
import { isLive } from "@syncguard/core";
import { type LockDocument, readLockDocument } from "./documents";

/** The lockId query. Deliberately no limit(1): a second match must be seen to be refused. */
export function lockIdQuery(locks: CollectionReference, lockId: string): Query {
  return locks.where("lockId", "==", lockId);
}

export interface OwnedLock {
  id: string;
  lock: LockDocument;
}

/**
 * The live lock held by `lockId` in a query result, or undefined. Ownership is checked explicitly
 * on the document (not only trusted to the query). Several matches cannot happen with generated
 * lockIds; if they do (copied documents), warn and refuse: touching the wrong one is unsafe.
 */
export function ownedLiveLock(
  snapshot: QuerySnapshot,
  lockId: string,
  nowMs: number,
  collection: string,
): OwnedLock | undefined {
  if (snapshot.size > 1) {
    console.warn(
      `[SyncGuard] Duplicate lockId detected: ${snapshot.size} documents in "${collection}" share one lockId; refusing to act on any of them`,
    );
    return undefined;
  }
  const doc = snapshot.docs[0];
  if (!doc) return undefined;
  const lock = readLockDocument(doc.data(), doc.id);
  if (!lock || lock.lockId !== lockId || !isLive(lock.expiresAtMs, nowMs)) return undefined;
  return { id: doc.id, lock };
}
