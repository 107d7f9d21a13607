import type { DocumentData } from "@google-cloud/firestore";
import { LockError } from "@syncguard/core";
import { type DriverAttempt, isFence, isLive, TIME_TOLERANCE_MS } from "@syncguard/core/driver";
import { documentId } from "./documents";

/**
 * A semaphore (ADR-039) is one document in the fence collection, beside the lock fence counters
 * and like them never deleted: it holds the semaphore's own fence counter, the number of permits
 * its live holders agreed on, and the permits. Its id is the key's document id and this suffix:
 * a lock key's id is either verbatim (no `~` in it) or ends in `~` and 32 hex digits, so no lock
 * counter can ever have a semaphore's id.
 */
export const SEMAPHORE_ID_SUFFIX = "~semaphore";

export const semaphoreDocumentId = (key: string): string =>
  `${documentId(key)}${SEMAPHORE_ID_SUFFIX}`;

/** One permit: its fence and times (the holder's lockId is its name in `holders`). */
export interface PermitEntry {
  fence: string;
  acquiredAtMs: number;
  expiresAtMs: number;
}

export interface SemaphoreDocument {
  /** The normalized key. */
  key: string;
  /** The last fence issued for the semaphore key, 15 digits. */
  fence: string;
  /** The number of permits of the last holders (only binding while one of them is live). */
  permits: number;
  /** Permits by lockId; expired ones are dropped by the next write. */
  holders: Record<string, PermitEntry>;
}

function corrupt(id: string): LockError {
  return new LockError("Internal", `Malformed semaphore document ${JSON.stringify(id)}`);
}

function isEntry(value: unknown): value is PermitEntry {
  if (typeof value !== "object" || value === null) return false;
  const entry = value as Partial<PermitEntry>;
  return (
    isFence(entry.fence) &&
    typeof entry.acquiredAtMs === "number" &&
    typeof entry.expiresAtMs === "number"
  );
}

/** The semaphore stored in a snapshot's data, or undefined when the document does not exist. */
export function readSemaphoreDocument(
  data: DocumentData | undefined,
  id: string,
): SemaphoreDocument | undefined {
  if (data === undefined) return undefined;
  const { key, fence, permits, holders } = data;
  if (
    typeof key !== "string" ||
    !isFence(fence) ||
    typeof permits !== "number" ||
    typeof holders !== "object" ||
    holders === null ||
    !Object.values(holders).every(isEntry)
  ) {
    throw corrupt(id);
  }
  return { key, fence, permits, holders: holders as Record<string, PermitEntry> };
}

/** The permits live at `now`. */
export function livePermits(
  semaphore: SemaphoreDocument | undefined,
  now: number,
): Record<string, PermitEntry> {
  const live: Record<string, PermitEntry> = {};
  if (!semaphore) return live;
  for (const [lockId, entry] of Object.entries(semaphore.holders)) {
    if (isLive(entry.expiresAtMs, now)) live[lockId] = entry;
  }
  return live;
}

/** The answer "every permit is held": the live permit that expires first. */
export function allHeld(live: Record<string, PermitEntry>, now: number): DriverAttempt {
  let first: PermitEntry | undefined;
  for (const entry of Object.values(live)) {
    if (!first || entry.expiresAtMs < first.expiresAtMs) first = entry;
  }
  if (!first) return { acquired: false };
  return {
    acquired: false,
    holder: { fence: first.fence, remainingMs: first.expiresAtMs + TIME_TOLERANCE_MS - now },
  };
}
