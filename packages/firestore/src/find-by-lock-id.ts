import type { DocumentReference } from "@google-cloud/firestore";
import type { DriverContext } from "./context";
import type { OperationScope } from "./operation-scope";
import { lockIdQuery, soleMatch } from "./ownership";
import { runRead } from "./reads";

/**
 * The lock document a lockId points at, found with a plain (non-transactional) query. A query
 * inside a transaction locks every document it scanned until the commit, so concurrent releases
 * and extends of different keys queued behind each other's range locks (on the emulator: 30 at
 * once took seconds each and most timed out). The caller's transaction re-reads the document by
 * id and checks ownership and liveness there, so a stale result can only lead to `{ ok: false }`.
 */
export async function findByLockId(
  ctx: DriverContext,
  lockId: string,
  op: OperationScope,
): Promise<DocumentReference | undefined> {
  const snapshot = await runRead(op, () => lockIdQuery(ctx.locks, lockId).get());
  return soleMatch(snapshot, ctx.config.collection, ctx.config.logger)?.ref;
}
