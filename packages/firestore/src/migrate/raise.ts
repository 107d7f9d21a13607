import type { DocumentReference, Firestore } from "@google-cloud/firestore";
import { formatFence } from "@syncguard/core";
import { type FenceDocument, readFenceCounter } from "../documents";

/** Documents per getAll call (dry run). */
const READ_BATCH = 300;
/** Transactions in flight at once; each touches one document of its own. */
const CONCURRENCY = 16;

/** A new fence document and the value it must hold at least. */
export interface Floor {
  /** The normalized key (the document's `key` field). */
  readonly key: string;
  readonly fence: bigint;
}

/**
 * Raises one fence document to `floor` in a transaction; never lowers it. A 2.x document of
 * another key can sit under the same id when both layouts share a collection (the new key
 * `fence:x` names 2.x's counter of `x`): then only its `fence` is raised, so it still reads as
 * 2.x's on a later run (and the new backend takes its own fence from it, which only goes up).
 */
function raiseOne(db: Firestore, ref: DocumentReference, floor: Floor): Promise<boolean> {
  return db.runTransaction(async (tx) => {
    const snapshot = await tx.get(ref);
    if (readFenceCounter(snapshot.data(), ref.id) >= floor.fence) return false;
    const fence = formatFence(floor.fence);
    if (snapshot.exists) tx.update(ref, { fence });
    else tx.set(ref, { fence, key: floor.key } satisfies FenceDocument);
    return true;
  });
}

/**
 * Raises each fence document (id -> floor) in `collectionId` to at least its floor; in a dry run
 * only counts the ones below it. Returns how many were (or would be) raised.
 */
export async function raiseFenceDocuments(
  db: Firestore,
  collectionId: string,
  floors: ReadonlyMap<string, Floor>,
  dryRun: boolean,
): Promise<number> {
  const collection = db.collection(collectionId);
  const entries = [...floors].map(([id, floor]) => ({ ref: collection.doc(id), floor }));
  let raised = 0;
  const size = dryRun ? READ_BATCH : CONCURRENCY;
  for (let start = 0; start < entries.length; start += size) {
    const chunk = entries.slice(start, start + size);
    if (dryRun) {
      const snapshots = await db.getAll(...chunk.map((entry) => entry.ref));
      snapshots.forEach((snapshot, i) => {
        const { floor } = chunk[i]!;
        if (readFenceCounter(snapshot.data(), snapshot.id) < floor.fence) raised++;
      });
    } else {
      const outcomes = await Promise.all(chunk.map(({ ref, floor }) => raiseOne(db, ref, floor)));
      raised += outcomes.filter(Boolean).length;
    }
  }
  return raised;
}
