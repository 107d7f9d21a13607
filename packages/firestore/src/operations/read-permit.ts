import type { DriverKeyInput, DriverSemaphoreReading, StoredPermit } from "@syncguard/core/driver";
import type { DriverContext } from "../context";
import { OperationScope } from "../operation-scope";
import { runRead } from "../reads";
import {
  livePermits,
  readSemaphoreDocument,
  type SemaphoreDocument,
  semaphoreDocumentId,
} from "../semaphore-document";

/** The live permits of one semaphore (ADR-041): one read of its document, judged by the backend's clock. */
export async function readPermit(
  ctx: DriverContext,
  { key, signal }: DriverKeyInput,
): Promise<DriverSemaphoreReading | undefined> {
  const op = new OperationScope("readPermit", ctx, signal);
  const id = semaphoreDocumentId(key);
  const snap = await runRead(op, () => ctx.fences.doc(id).get());
  const semaphore = readSemaphoreDocument(snap.data(), id);
  const holders = storedPermits(semaphore, ctx.config.clock());
  return semaphore && holders.length > 0 ? { permits: semaphore.permits, holders } : undefined;
}

/** A semaphore document's live permits as the driver reports them, by fence. */
export function storedPermits(
  semaphore: SemaphoreDocument | undefined,
  now: number,
): (StoredPermit & { readonly fence: string })[] {
  if (!semaphore) return [];
  return Object.entries(livePermits(semaphore, now))
    .map(([lockId, entry]) => ({
      key: semaphore.key,
      lockId,
      permits: semaphore.permits,
      acquiredAtMs: entry.acquiredAtMs,
      expiresAtMs: entry.expiresAtMs,
      fence: entry.fence,
    }))
    .sort((a, b) => (a.fence < b.fence ? -1 : a.fence > b.fence ? 1 : 0));
}
