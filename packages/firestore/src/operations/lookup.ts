import {
  hashLockId,
  isLive,
  type LockInfo,
  type LookupOptions,
  parseLookupOptions,
} from "@syncguard/core";
import type { FirestoreCapabilities } from "../capabilities";
import type { BackendContext } from "../context";
import { documentId, type LockDocument, readLockDocument } from "../documents";
import { OperationScope } from "../operation-scope";
import { isHeldBy, lockIdQuery, soleMatch } from "../ownership";
import { runRead } from "../reads";

function toInfo(lock: LockDocument): LockInfo<FirestoreCapabilities> {
  return {
    key: lock.key,
    lockIdHash: hashLockId(lock.lockId),
    acquiredAtMs: lock.acquiredAtMs,
    expiresAtMs: lock.expiresAtMs,
    fence: lock.fence,
  };
}

/**
 * The live lock for a key (one document read) or for a lockId (one indexed query), or null.
 * Diagnostic reads, not transactions: the answer can be stale by the time it is used.
 */
export async function lookup(
  ctx: BackendContext,
  opts: LookupOptions,
): Promise<LockInfo<FirestoreCapabilities> | null> {
  const target = parseLookupOptions(opts);
  // Validated by parseLookupOptions, which does not return it.
  const op = new OperationScope("lookup", ctx.config, opts.signal);
  if (target.lockId !== undefined) {
    const { lockId } = target;
    const snapshot = await runRead(op, () => lockIdQuery(ctx.locks, lockId).get());
    const doc = soleMatch(snapshot, ctx.config.collection);
    const lock = doc && readLockDocument(doc.data(), doc.id);
    return isHeldBy(lock, lockId, ctx.config.clock()) ? toInfo(lock) : null;
  }
  const id = documentId(target.key);
  const snap = await runRead(op, () => ctx.locks.doc(id).get());
  const lock = readLockDocument(snap.data(), id);
  return lock && isLive(lock.expiresAtMs, ctx.config.clock()) ? toInfo(lock) : null;
}
