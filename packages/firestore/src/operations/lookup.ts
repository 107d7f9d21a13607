import {
  type DriverKeyInput,
  type DriverLockIdInput,
  isLive,
  type StoredLock,
} from "@syncguard/core/driver";
import type { BackendContext } from "../context";
import { documentId, readLockDocument } from "../documents";
import { OperationScope } from "../operation-scope";
import { isHeldBy, lockIdQuery, soleMatch } from "../ownership";
import { runRead } from "../reads";

/**
 * The live lock for a key (one document read) or for a lockId (one indexed query), or undefined.
 * Diagnostic reads, not transactions: the answer can be stale by the time it is used.
 */
export async function readByKey(
  ctx: BackendContext,
  { key, signal }: DriverKeyInput,
): Promise<StoredLock | undefined> {
  const op = new OperationScope("lookup", ctx, signal);
  const id = documentId(key);
  const snap = await runRead(op, () => ctx.locks.doc(id).get());
  const lock = readLockDocument(snap.data(), id);
  return lock && isLive(lock.expiresAtMs, ctx.config.clock()) ? lock : undefined;
}

export async function readByLockId(
  ctx: BackendContext,
  { lockId, signal }: DriverLockIdInput,
): Promise<StoredLock | undefined> {
  const op = new OperationScope("lookup", ctx, signal);
  const snapshot = await runRead(op, () => lockIdQuery(ctx.locks, lockId).get());
  const doc = soleMatch(snapshot, ctx.config.collection, ctx.config.logger);
  const lock = doc && readLockDocument(doc.data(), doc.id);
  return isHeldBy(lock, lockId, ctx.config.clock()) ? lock : undefined;
}
