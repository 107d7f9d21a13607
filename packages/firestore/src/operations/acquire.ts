import {
  type DriverAcquireInput,
  type DriverAttempt,
  fenceOverflowError,
  formatFence,
  isLive,
  MAX_FENCE,
  TIME_TOLERANCE_MS,
  warnIfFenceNearLimit,
} from "@syncguard/core/driver";
import type { DriverContext } from "../context";
import {
  documentId,
  type FenceDocument,
  type LockDocument,
  purgeAtFor,
  readFenceCounter,
  readLockDocument,
  type StoredLockDocument,
} from "../documents";
import { OperationScope } from "../operation-scope";
import { runLockTransaction, type TransactionScope } from "../transaction";

function locked(current: LockDocument, now: number): DriverAttempt {
  return {
    acquired: false,
    holder: { fence: current.fence, remainingMs: current.expiresAtMs + TIME_TOLERANCE_MS - now },
  };
}

/**
 * The answer when the key is held at `now`, or undefined when it is free. A live lock held by
 * `lockId` itself is a retry of an attempt that took it (its reply was lost): it is returned as it
 * is, same fence and expiry, and nothing is written.
 */
function heldAnswer(
  current: LockDocument | undefined,
  lockId: string,
  now: number,
): DriverAttempt | undefined {
  if (!current || !isLive(current.expiresAtMs, now)) return undefined;
  if (current.lockId !== lockId) return locked(current, now);
  return { acquired: true, expiresAtMs: current.expiresAtMs, fence: current.fence };
}

/**
 * Before each attempt, a plain read of the lock document: if it is live, answer without opening a
 * transaction ("locked", or the caller's own lock when it holds `lockId`). Transactional reads
 * take locks, so waiters polling a held key would otherwise hold up the holder's release (the
 * emulator then stalls them on a 2 s lock timeout).
 * Otherwise one transaction: read the lock document and the fence counter together, re-check
 * liveness by the client clock, bump the counter and write both documents under the lockId core
 * gave.
 */
export async function acquire(
  ctx: DriverContext,
  { key, ttlMs, lockId, signal }: DriverAcquireInput,
): Promise<DriverAttempt> {
  const id = documentId(key);
  const lockRef = ctx.locks.doc(id);
  const fenceRef = ctx.fences.doc(id);
  const op = new OperationScope("acquire", ctx, signal);

  const precheck = async () => {
    const seen = readLockDocument((await lockRef.get()).data(), id);
    return heldAnswer(seen, lockId, ctx.config.clock());
  };
  const transaction = async ({ tx, checkpoint }: TransactionScope): Promise<DriverAttempt> => {
    const [lockSnap, fenceSnap] = await tx.getAll(lockRef, fenceRef);
    checkpoint();
    // Read the clock after the reads, so the decision uses the freshest time we have.
    const now = ctx.config.clock();
    const held = heldAnswer(readLockDocument(lockSnap?.data(), id), lockId, now);
    if (held) return held;
    const counter = readFenceCounter(fenceSnap?.data(), id);
    // Checked before any write: an exhausted counter leaves both documents untouched.
    if (counter >= BigInt(MAX_FENCE)) throw fenceOverflowError(key);
    const fence = formatFence(counter + 1n);
    const expiresAtMs = now + ttlMs;
    // The fence document never gets purgeAt: no TTL policy may ever delete a counter.
    const fenceDoc: FenceDocument = { fence, key };
    const lockDoc: StoredLockDocument = {
      lockId,
      key,
      acquiredAtMs: now,
      expiresAtMs,
      fence,
      purgeAt: purgeAtFor(expiresAtMs),
    };
    tx.set(fenceRef, fenceDoc);
    tx.set(lockRef, lockDoc);
    return { acquired: true, expiresAtMs, fence };
  };

  // Waiting behind this process's other acquires of the key counts against the same deadline.
  const turn = ctx.acquireGate.enter(id);
  let result: DriverAttempt;
  try {
    await op.race(turn.ready);
    result = await runLockTransaction(ctx.db, op, transaction, precheck);
  } finally {
    turn.leave();
  }
  if (result.acquired && result.fence) warnIfFenceNearLimit(key, result.fence, ctx.config.logger);
  return result;
}
