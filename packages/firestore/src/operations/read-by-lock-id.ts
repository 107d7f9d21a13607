import type { DriverLockIdInput, StoredLock } from "@syncguard/core/driver";
import type { DriverContext } from "../context";
import { readLockDocument } from "../documents";
import { OperationScope } from "../operation-scope";
import { isHeldBy, lockIdQuery, soleMatch } from "../ownership";
import { runRead } from "../reads";

/**
 * The live lock a lockId holds (one indexed query), or undefined. A diagnostic read, not a
 * transaction: the answer can be stale by the time it is used.
 */
export async function readByLockId(
  ctx: DriverContext,
  { lockId, signal }: DriverLockIdInput,
): Promise<StoredLock | undefined> {
  const op = new OperationScope("lookup", ctx, signal);
  const snapshot = await runRead(op, () => lockIdQuery(ctx.locks, lockId).get());
  const doc = soleMatch(snapshot, ctx.config.collection, ctx.config.logger);
  const lock = doc && readLockDocument(doc.data(), doc.id);
  return isHeldBy(lock, lockId, ctx.config.clock()) ? lock : undefined;
}
