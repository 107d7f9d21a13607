import { type ExtendOptions, type ExtendResult, parseExtendOptions } from "@syncguard/core";
import type { BackendContext } from "../context";
import { readLockDocument } from "../documents";
import { OperationScope } from "../operation-scope";
import { isHeldBy } from "../ownership";
import { runLockTransaction } from "../transaction";
import { findByLockId } from "./find-by-lock-id";

/**
 * Finds the lock document with a plain lockId query, then one transaction re-reads it by id,
 * checks ownership and liveness and sets expiresAtMs = now + ttlMs (replaces, does not add).
 * An expired lock is never resurrected.
 */
export async function extend(ctx: BackendContext, opts: ExtendOptions): Promise<ExtendResult> {
  const { lockId, ttlMs, signal } = parseExtendOptions(opts);
  const op = new OperationScope("extend", ctx.config, signal);
  const ref = await findByLockId(ctx, lockId, op);
  if (!ref) return { ok: false };
  return runLockTransaction(ctx.db, op, async ({ tx, checkpoint }): Promise<ExtendResult> => {
    const lock = readLockDocument((await tx.get(ref)).data(), ref.id);
    checkpoint();
    const now = ctx.config.clock();
    if (!isHeldBy(lock, lockId, now)) return { ok: false };
    const expiresAtMs = now + ttlMs;
    tx.update(ref, { expiresAtMs });
    return { ok: true, expiresAtMs };
  });
}
