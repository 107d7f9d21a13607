import {
  type ExtendOptions,
  type ExtendResult,
  throwIfAborted,
  validateLockId,
  validateTtl,
} from "@syncguard/core";
import type { BackendContext } from "../context";
import { readLockDocument } from "../documents";
import { isHeldBy } from "../ownership";
import { runLockTransaction } from "../transaction";
import { findByLockId } from "./find-by-lock-id";

/**
 * Finds the lock document with a plain lockId query, then one transaction re-reads it by id,
 * checks ownership and liveness and sets expiresAtMs = now + ttlMs (replaces, does not add).
 * An expired lock is never resurrected.
 */
export async function extend(ctx: BackendContext, opts: ExtendOptions): Promise<ExtendResult> {
  const lockId = validateLockId(opts?.lockId);
  const ttlMs = validateTtl(opts.ttlMs);
  throwIfAborted(opts.signal, "extend");
  const ref = await findByLockId(ctx, lockId, "extend", opts.signal);
  if (!ref) return { ok: false };
  return runLockTransaction(
    { db: ctx.db, config: ctx.config, operation: "extend", signal: opts.signal },
    async ({ tx, checkpoint }): Promise<ExtendResult> => {
      const lock = readLockDocument((await tx.get(ref)).data(), ref.id);
      checkpoint();
      const now = ctx.config.clock();
      if (!isHeldBy(lock, lockId, now)) return { ok: false };
      const expiresAtMs = now + ttlMs;
      tx.update(ref, { expiresAtMs });
      return { ok: true, expiresAtMs };
    },
  );
}
