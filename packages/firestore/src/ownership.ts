import type {
  CollectionReference,
  Query,
  QueryDocumentSnapshot,
  QuerySnapshot,
} from "@google-cloud/firestore";
import type { Logger } from "@syncguard/core";
import { isLive, writeLog } from "@syncguard/core/driver";
import type { LockDocument } from "./documents";

/** The lockId query. Deliberately no limit(1): a second match must be seen to be refused. */
export function lockIdQuery(locks: CollectionReference, lockId: string): Query {
  return locks.where("lockId", "==", lockId);
}

/**
 * The one document a lockId query matched, or undefined. Several matches cannot happen with
 * generated lockIds; if they do (copied documents), warn and refuse: acting on the wrong one
 * could release or extend someone else's lock.
 */
export function soleMatch(
  snapshot: QuerySnapshot,
  collection: string,
  logger?: Logger,
): QueryDocumentSnapshot | undefined {
  if (snapshot.size > 1) {
    writeLog(
      logger,
      "warn",
      `[SyncGuard] Duplicate lockId detected: ${snapshot.size} documents in "${collection}" share one lockId; refusing to act on any of them`,
      { collection, documents: snapshot.size },
    );
    return undefined;
  }
  return snapshot.docs[0];
}

/**
 * True when `lock` is held by `lockId` and live at `nowMs`. Always checked on the document itself:
 * a query result (or an index) may be stale by the time it is used.
 */
export function isHeldBy(
  lock: LockDocument | undefined,
  lockId: string,
  nowMs: number,
): lock is LockDocument {
  return lock !== undefined && lock.lockId === lockId && isLive(lock.expiresAtMs, nowMs);
}
