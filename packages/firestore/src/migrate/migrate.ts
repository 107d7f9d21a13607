import type { Firestore } from "@google-cloud/firestore";
import { formatFence, normalizeKey } from "@syncguard/core/driver";
import { documentId } from "../documents";
import { toFirestoreLockError } from "../errors";
import { type FirestoreMigrationOptions, resolveMigrationOptions } from "./options";
import { type Floor, raiseFenceDocuments, type UnraisedCounter } from "./raise";
import { type OldCounter, readOldCounters, type SkippedDocument } from "./scan";

/** What `migrateFrom2x` found and did. */
export interface FirestoreMigrationReport {
  /** True when nothing was written (`dryRun`). */
  readonly dryRun: boolean;
  /** Existing documents read under 2.x counter names. */
  readonly documentsScanned: number;
  /** 2.x fence counters among them. */
  readonly countersFound: number;
  /** Documents under 2.x names that were not 2.x counters (left alone). */
  readonly skipped: number;
  /** The first 100 of those, each with what it holds instead of a counter. */
  readonly skippedDocuments: readonly SkippedDocument[];
  /** New fence documents checked (one per key). */
  readonly fenceDocuments: number;
  /** Fence documents raised (in a dry run: that would be raised). 0 when run a second time. */
  readonly countersRaised: number;
  /** The highest fence 2.x issued (15 digits), or null when no counter was found. */
  readonly highestFence: string | null;
  /**
   * 2.x counters not carried over because their key's new fence document is a 2.x-named
   * document holding no counter (possible where both layouts share a collection). Left alone:
   * the new backend refuses those keys until the document is fixed or removed.
   */
  readonly unraised: readonly UnraisedCounter[];
}

/** The new fence document of each 2.x key, with the highest 2.x fence that maps to it. */
function floorsOf(counters: readonly OldCounter[]): Map<string, Floor> {
  const floors = new Map<string, Floor>();
  for (const { key, fence } of counters) {
    const normalized = normalizeKey(key);
    const id = documentId(normalized);
    if (fence > (floors.get(id)?.fence ?? 0n)) floors.set(id, { key: normalized, fence });
  }
  return floors;
}

/**
 * Carries syncguard 2.x fence counters (`fence:<key>` documents) over to this backend's fence
 * documents, so that the first fence the new backend issues for any key is greater than every
 * fence 2.x issued for it. Each document is raised to max(current, 2.x) in a transaction, never
 * lowered; running it again changes nothing. 2.x documents are read, never deleted.
 * Run it while no 2.x process can acquire (see MIGRATING.md).
 */
export async function migrateFrom2x(
  db: Firestore,
  options?: FirestoreMigrationOptions,
): Promise<FirestoreMigrationReport> {
  const resolved = resolveMigrationOptions(db, options);
  const { oldFenceCollection, fenceCollection, subcollections, dryRun } = resolved;
  try {
    const old = await readOldCounters(db, oldFenceCollection, subcollections);
    const floors = floorsOf(old.counters);
    const raise = await raiseFenceDocuments(db, fenceCollection, floors, dryRun);
    let highest = 0n; // bigints: Math.max does not take them
    for (const { fence } of old.counters) if (fence > highest) highest = fence;
    return {
      dryRun,
      documentsScanned: old.scanned,
      countersFound: old.counters.length,
      skipped: old.skipped,
      skippedDocuments: old.skippedDocuments,
      fenceDocuments: floors.size,
      countersRaised: raise.raised,
      highestFence: highest > 0n ? formatFence(highest) : null,
      unraised: raise.unraised,
    };
  } catch (error) {
    throw toFirestoreLockError(error, "2.x migration", oldFenceCollection, !dryRun);
  }
}
