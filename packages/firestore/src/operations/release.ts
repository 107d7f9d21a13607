import {
  type ReleaseOptions,
  type ReleaseResult,
  throwIfAborted,
  validateLockId,
} from "@syncguard/core";
import type { BackendContext } from "../context";
import { lockIdQuery, ownedLiveLock } from "../ownership";
import { runLockTransaction } from "../transaction";

/**
 * One transaction: find the lock by its lockId, check ownership and liveness by the client clock,
 * delete the lock document. The fence counter is never touched.
 * Returns the normalized key that was freed (for local wake-ups), or undefined.
 */
export async function release(
  ctx: BackendContext,
  opts: ReleaseOptions,
): Promise<ReleaseResult & { key?: string }> {
  const lockId = validateLockId(opts?.lockId);
  throwIfAborted(opts.signal, "release");
  return runLockTransaction(
    { db: ctx.db, config: ctx.config, operation: "release", signal: opts.signal },
    async ({ tx, checkpoint }) => {
      const snapshot = await tx.get(lockIdQuery(ctx.locks, lockId));
      checkpoint();
      const owned = ownedLiveLock(snapshot, lockId, ctx.config.clock(), ctx.config.collection);
      if (!owned) return { ok: false };
      tx.delete(ctx.locks.doc(owned.id));
      return { ok: true, key: owned.lock.key };
    },
  );
}
