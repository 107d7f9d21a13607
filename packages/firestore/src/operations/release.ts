import { parseReleaseOptions, type ReleaseOptions, type ReleaseResult } from "@syncguard/core";
import type { BackendContext } from "../context";
import { readLockDocument } from "../documents";
import { OperationScope } from "../operation-scope";
import { isHeldBy } from "../ownership";
import { runLockTransaction } from "../transaction";
import { findByLockId } from "./find-by-lock-id";

/**
 * Finds the lock document with a plain lockId query, then one transaction re-reads it by id,
 * checks ownership and liveness by the client clock and deletes it. The fence counter is never
 * touched. Returns the normalized key that was freed (for local wake-ups), or undefined.
 */
export async function release(
  ctx: BackendContext,
  opts: ReleaseOptions,
): Promise<ReleaseResult & { key?: string }> {
  const { lockId, signal } = parseReleaseOptions(opts);
  const op = new OperationScope("release", ctx.config, signal);
  const ref = await findByLockId(ctx, lockId, op);
  if (!ref) return { ok: false };
  return runLockTransaction(
    ctx.db,
    op,
    async ({ tx, checkpoint }): Promise<ReleaseResult & { key?: string }> => {
      const lock = readLockDocument((await tx.get(ref)).data(), ref.id);
      checkpoint();
      if (!isHeldBy(lock, lockId, ctx.config.clock())) return { ok: false };
      tx.delete(ref);
      return { ok: true, key: lock.key };
    },
  );
}
