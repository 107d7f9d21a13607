import { type DriverKeyInput, isLive, type StoredLock } from "@syncguard/core/driver";
import type { DriverContext } from "../context";
import { documentId, readLockDocument } from "../documents";
import { OperationScope } from "../operation-scope";
import { runRead } from "../reads";

/**
 * The live lock for a key (one document read), or undefined. A diagnostic read, not a
 * transaction: the answer can be stale by the time it is used.
 */
export async function readByKey(
  ctx: DriverContext,
  { key, signal }: DriverKeyInput,
): Promise<StoredLock | undefined> {
  const op = new OperationScope("lookup", ctx, signal);
  const id = documentId(key);
  const snap = await runRead(op, () => ctx.locks.doc(id).get());
  const lock = readLockDocument(snap.data(), id);
  return lock && isLive(lock.expiresAtMs, ctx.config.clock()) ? lock : undefined;
}
