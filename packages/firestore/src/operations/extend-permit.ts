import type { DriverPermitExtendInput } from "@syncguard/core/driver";
import type { DriverContext } from "../context";
import { OperationScope } from "../operation-scope";
import { livePermits, readSemaphoreDocument, semaphoreDocumentId } from "../semaphore-document";
import { runLockTransaction } from "../transaction";

/** One transaction: a live permit of `lockId` expires at now + ttlMs (client clock); never resurrects. */
export function extendPermit(
  ctx: DriverContext,
  { key, lockId, ttlMs, signal }: DriverPermitExtendInput,
): Promise<{ expiresAtMs: number } | undefined> {
  const id = semaphoreDocumentId(key);
  const ref = ctx.fences.doc(id);
  const op = new OperationScope("extendPermit", ctx, signal);
  return runLockTransaction(ctx.db, op, async ({ tx, checkpoint }) => {
    const semaphore = readSemaphoreDocument((await tx.get(ref)).data(), id);
    checkpoint();
    const now = ctx.config.clock();
    const live = livePermits(semaphore, now);
    const mine = live[lockId];
    if (!semaphore || !mine) return undefined;
    const expiresAtMs = now + ttlMs;
    live[lockId] = { ...mine, expiresAtMs };
    tx.set(ref, { ...semaphore, holders: live });
    return { expiresAtMs };
  });
}
