import type { DriverLockIdInput, DriverRelease } from "@syncguard/core/driver";
import type { DriverContext } from "../context";
import { readLockDocument } from "../documents";
import { findByLockId } from "../find-by-lock-id";
import { OperationScope } from "../operation-scope";
import { isHeldBy } from "../ownership";
import { runLockTransaction } from "../transaction";

/**
 * Finds the lock document with a plain lockId query, then one transaction re-reads it by id,
 * checks ownership and liveness by the client clock and deletes it. The fence counter is never
 * touched.
 */
export async function release(
  ctx: DriverContext,
  { lockId, signal }: DriverLockIdInput,
): Promise<DriverRelease> {
  const op = new OperationScope("release", ctx, signal);
  const ref = await findByLockId(ctx, lockId, op);
  if (!ref) return { released: false };
  return runLockTransaction(ctx.db, op, async ({ tx, checkpoint }): Promise<DriverRelease> => {
    const lock = readLockDocument((await tx.get(ref)).data(), ref.id);
    checkpoint();
    if (!isHeldBy(lock, lockId, ctx.config.clock())) return { released: false };
    tx.delete(ref);
    return { released: true };
  });
}
