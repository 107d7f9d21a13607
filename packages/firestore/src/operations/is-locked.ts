import { type DriverKeyInput, isLive, isPastCleanupGuard } from "@syncguard/core/driver";
import type { DriverContext } from "../context";
import { documentId, readLockDocument } from "../documents";
import { OperationScope } from "../operation-scope";
import { runRead } from "../reads";
import { runLockTransaction } from "../transaction";

/**
 * A plain document read. With `cleanupInIsLocked`, a lock document expired past core's cleanup
 * guard is deleted by a transaction that re-checks it first (a new holder may have written it
 * meanwhile). Only lock documents are ever cleaned: fence counters live forever.
 */
export async function isLocked(
  ctx: DriverContext,
  { key, signal }: DriverKeyInput,
): Promise<boolean> {
  const id = documentId(key);
  const ref = ctx.locks.doc(id);
  const snap = await runRead(new OperationScope("isLocked", ctx, signal), () => ref.get());
  const lock = readLockDocument(snap.data(), id);
  if (!lock) return false;
  const now = ctx.config.clock();
  if (isLive(lock.expiresAtMs, now)) return true;
  if (ctx.config.cleanupInIsLocked && isPastCleanupGuard(lock.expiresAtMs, now)) {
    await cleanup(ctx, id, lock.lockId).catch(() => {
      // Best effort: the answer (not locked) stands; the next acquire overwrites the document.
    });
  }
  return false;
}

async function cleanup(ctx: DriverContext, id: string, lockId: string): Promise<void> {
  const ref = ctx.locks.doc(id);
  await runLockTransaction(
    ctx.db,
    new OperationScope("isLocked cleanup", ctx, undefined),
    async ({ tx, checkpoint }) => {
      const snap = await tx.get(ref);
      checkpoint();
      const lock = readLockDocument(snap.data(), id);
      if (!lock || lock.lockId !== lockId) return;
      if (!isPastCleanupGuard(lock.expiresAtMs, ctx.config.clock())) return;
      tx.delete(ref);
    },
  );
}
