import {
  type AcquireLocked,
  type AcquireOptions,
  type AcquireResult,
  fenceOverflowError,
  formatFence,
  generateLockId,
  isLive,
  MAX_FENCE,
  normalizeKey,
  TIME_TOLERANCE_MS,
  throwIfAborted,
  validateTtl,
  warnIfFenceNearLimit,
} from "@syncguard/core";
import type { FirestoreCapabilities } from "../capabilities";
import type { BackendContext } from "../context";
import { Deadline } from "../deadline";
import {
  documentId,
  type FenceDocument,
  type LockDocument,
  readFenceCounter,
  readLockDocument,
} from "../documents";
import { runLockTransaction } from "../transaction";

function locked(current: LockDocument, now: number): AcquireLocked {
  return {
    ok: false,
    reason: "locked",
    holder: { fence: current.fence, remainingMs: current.expiresAtMs + TIME_TOLERANCE_MS - now },
  };
}

/**
 * Before each attempt, a plain read of the lock document: if it is live, report "locked" without
 * opening a transaction. Transactional reads take locks, so waiters polling a held key would
 * otherwise hold up the holder's release (the emulator then stalls them on a 2 s lock timeout).
 * Otherwise one transaction: read the lock document and the fence counter together, re-check
 * liveness by the client clock, bump the counter and write both documents.
 */
export async function acquire(
  ctx: BackendContext,
  opts: AcquireOptions,
): Promise<AcquireResult<FirestoreCapabilities>> {
  const key = normalizeKey(opts?.key);
  const ttlMs = validateTtl(opts.ttlMs);
  throwIfAborted(opts.signal, "acquire");
  const id = documentId(key);
  const lockRef = ctx.locks.doc(id);
  const fenceRef = ctx.fences.doc(id);
  const lockId = generateLockId(key);
  const deadline = new Deadline(ctx.config.operationTimeoutMs, "acquire");

  const result = await ctx.acquireGate.run(id, () =>
    runLockTransaction<AcquireResult<FirestoreCapabilities>>(
      {
        db: ctx.db,
        config: ctx.config,
        operation: "acquire",
        signal: opts.signal,
        deadline,
        precheck: async () => {
          const seen = readLockDocument((await lockRef.get()).data(), id);
          const now = ctx.config.clock();
          return seen && isLive(seen.expiresAtMs, now) ? locked(seen, now) : undefined;
        },
      },
      async ({ tx, checkpoint }): Promise<AcquireResult<FirestoreCapabilities>> => {
        const [lockSnap, fenceSnap] = await tx.getAll(lockRef, fenceRef);
        checkpoint();
        // Read the clock after the reads, so the decision uses the freshest time we have.
        const now = ctx.config.clock();
        const current = readLockDocument(lockSnap?.data(), id);
        if (current && isLive(current.expiresAtMs, now)) return locked(current, now);
        const counter = readFenceCounter(fenceSnap?.data(), id);
        // Checked before any write: an exhausted counter leaves both documents untouched.
        if (counter >= BigInt(MAX_FENCE)) throw fenceOverflowError(key);
        const fence = formatFence(counter + 1n);
        const expiresAtMs = now + ttlMs;
        const fenceDoc: FenceDocument = { fence, key };
        const lockDoc: LockDocument = { lockId, key, acquiredAtMs: now, expiresAtMs, fence };
        tx.set(fenceRef, fenceDoc);
        tx.set(lockRef, lockDoc);
        return { ok: true, lockId, expiresAtMs, fence };
      },
    ),
  );
  if (result.ok) warnIfFenceNearLimit(key, result.fence);
  return result;
}
