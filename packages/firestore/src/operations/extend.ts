import {
  type ExtendOptions,
  type ExtendResult,
  throwIfAborted,
  validateLockId,
  validateTtl,
} from "@syncguard/core";
import type { BackendContext } from "../context";
import { lockIdQuery, ownedLiveLock } from "../ownership";
import { runLockTransaction } from "../transaction";

/**
 * One transaction: find the lock by its lockId, check ownership and liveness, then set
 * expiresAtMs = now + ttlMs (replaces, does not add). An expired lock is never resurrected.
 */
export async function extend(ctx: BackendContext, opts: ExtendOptions): Promise<ExtendResult> {
  const lockId = validateLockId(opts?.lockId);
  const ttlMs = validateTtl(opts.ttlMs);
  throwIfAborted(opts.signal, "extend");
  return runLockTransaction(
    { db: ctx.db, config: ctx.config, operation: "extend", signal: opts.signal },
    async ({ tx, checkpoint }): Promise<ExtendResult> => {
      const snapshot = await tx.get(lockIdQuery(ctx.locks, lockId));
      checkpoint();
      const now = ctx.config.clock();
      const owned = ownedLiveLock(snapshot, lockId, now, ctx.config.collection);
      if (!owned) return { ok: false };
      const expiresAtMs = now + ttlMs;
      tx.update(ctx.locks.doc(owned.id), { expiresAtMs });
      return { ok: true, expiresAtMs };
    },
  );
}
