import {
  type DriverAttempt,
  type DriverPermitInput,
  fenceOverflowError,
  formatFence,
  MAX_FENCE,
  permitsMismatchError,
  warnIfFenceNearLimit,
} from "@syncguard/core/driver";
import type { DriverContext } from "../context";
import { OperationScope } from "../operation-scope";
import {
  allHeld,
  livePermits,
  readSemaphoreDocument,
  type SemaphoreDocument,
  semaphoreDocumentId,
} from "../semaphore-document";
import { runLockTransaction, type TransactionScope } from "../transaction";

/**
 * The answer when no permit can be taken at `now` (or `lockId` holds one already), undefined when
 * one is free. Callers that disagree with the live holders on `permits` are refused.
 */
function answer(
  semaphore: SemaphoreDocument | undefined,
  { key, lockId, permits }: DriverPermitInput,
  now: number,
): DriverAttempt | undefined {
  const live = livePermits(semaphore, now);
  const mine = live[lockId];
  if (mine) return { acquired: true, expiresAtMs: mine.expiresAtMs, fence: mine.fence };
  const count = Object.keys(live).length;
  if (count > 0 && semaphore && semaphore.permits !== permits) {
    throw permitsMismatchError(key, semaphore.permits, permits);
  }
  return count >= permits ? allHeld(live, now) : undefined;
}

/**
 * As a lock's acquire: a plain read answers a full semaphore without a transaction; otherwise one
 * transaction re-reads the document, re-checks by the client clock, bumps the semaphore's counter
 * and writes the permit (dropping expired ones).
 */
export async function acquirePermit(
  ctx: DriverContext,
  input: DriverPermitInput,
): Promise<DriverAttempt> {
  const id = semaphoreDocumentId(input.key);
  const ref = ctx.fences.doc(id);
  const op = new OperationScope("acquirePermit", ctx, input.signal);

  const precheck = async () =>
    answer(readSemaphoreDocument((await ref.get()).data(), id), input, ctx.config.clock());
  const transaction = async ({ tx, checkpoint }: TransactionScope): Promise<DriverAttempt> => {
    const semaphore = readSemaphoreDocument((await tx.get(ref)).data(), id);
    checkpoint();
    const now = ctx.config.clock();
    const held = answer(semaphore, input, now);
    if (held) return held;
    const counter = semaphore ? BigInt(semaphore.fence) : 0n;
    if (counter >= BigInt(MAX_FENCE)) throw fenceOverflowError(input.key);
    const fence = formatFence(counter + 1n);
    const expiresAtMs = now + input.ttlMs;
    const document: SemaphoreDocument = {
      key: input.key,
      fence,
      permits: input.permits,
      holders: {
        ...livePermits(semaphore, now),
        [input.lockId]: { fence, acquiredAtMs: now, expiresAtMs },
      },
    };
    tx.set(ref, document);
    return { acquired: true, expiresAtMs, fence };
  };

  // This process's attempts on one semaphore take turns, as its lock acquires do (key-gate.ts).
  const turn = ctx.acquireGate.enter(id);
  let result: DriverAttempt;
  try {
    await op.race(turn.ready);
    result = await runLockTransaction(ctx.db, op, transaction, precheck);
  } finally {
    turn.leave();
  }
  if (result.acquired && result.fence) {
    warnIfFenceNearLimit(input.key, result.fence, ctx.config.logger);
  }
  return result;
}
