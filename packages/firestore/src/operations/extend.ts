import type { DriverExtendInput } from "@syncguard/core/driver";
import type { DriverContext } from "../context";
import { purgeAtFor, readLockDocument } from "../documents";
import { findByLockId } from "../find-by-lock-id";
import { OperationScope } from "../operation-scope";
import { isHeldBy } from "../ownership";
import { runLockTransaction } from "../transaction";

/**
 * Finds the lock document with a plain lockId query, then one transaction re-reads it by id,
 * checks ownership and liveness and sets expiresAtMs = now + ttlMs (replaces, does not add), moving
 * purgeAt with it.
 * An expired lock is never resurrected.
 */
export async function extend(
  ctx: DriverContext,
  { lockId, ttlMs, signal }: DriverExtendInput,
): Promise<{ expiresAtMs: number } | undefined> {
  const op = new OperationScope("extend", ctx, signal);
  const ref = await findByLockId(ctx, lockId, op);
  if (!ref) return undefined;
  return runLockTransaction(ctx.db, op, async ({ tx, checkpoint }) => {
    const lock = readLockDocument((await tx.get(ref)).data(), ref.id);
    checkpoint();
    const now = ctx.config.clock();
    if (!isHeldBy(lock, lockId, now)) return undefined;
    const expiresAtMs = now + ttlMs;
    // purgeAt moves with the expiry, or a TTL policy could delete the extended lock.
    tx.update(ref, { expiresAtMs, purgeAt: purgeAtFor(expiresAtMs) });
    return { expiresAtMs };
  });
}
