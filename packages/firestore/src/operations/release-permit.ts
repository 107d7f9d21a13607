import type { DriverPermitIdInput, DriverRelease } from "@syncguard/core/driver";
import type { DriverContext } from "../context";
import { OperationScope } from "../operation-scope";
import { livePermits, readSemaphoreDocument, semaphoreDocumentId } from "../semaphore-document";
import { runLockTransaction } from "../transaction";

/**
 * One transaction: if `lockId` holds a live permit, the semaphore is written back without it (and
 * without expired ones). The counter stays: the document is never deleted.
 */
export function releasePermit(
  ctx: DriverContext,
  { key, lockId, signal }: DriverPermitIdInput,
): Promise<DriverRelease> {
  const id = semaphoreDocumentId(key);
  const ref = ctx.fences.doc(id);
  const op = new OperationScope("releasePermit", ctx, signal);
  return runLockTransaction(ctx.db, op, async ({ tx, checkpoint }): Promise<DriverRelease> => {
    const semaphore = readSemaphoreDocument((await tx.get(ref)).data(), id);
    checkpoint();
    const live = livePermits(semaphore, ctx.config.clock());
    if (!semaphore || !live[lockId]) return { released: false };
    delete live[lockId];
    tx.set(ref, { ...semaphore, holders: live });
    return { released: true };
  });
}
