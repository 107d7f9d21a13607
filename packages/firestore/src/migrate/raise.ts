import type { DocumentData, DocumentReference, Firestore } from "@google-cloud/firestore";
import { formatFence, isFence } from "@syncguard/core/driver";
import { type FenceDocument, readFenceCounter } from "../documents";
import { OLD_ID_PREFIX } from "./layout-2x";

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

/** What became of one fence document: raised (or would be), already high enough, or left alone. */
type Outcome = "raised" | "unchanged" | "unraised";

/**
 * Whether a fence document holding `data` must be raised to `floor`. A document under a 2.x
 * counter name without a `key` field is 2.x's (both layouts can share a collection): when its
 * `fence` is not a counter it is someone's data, left alone and reported. Any other document
 * with a bad fence is a corrupt counter of the new layout: the migration stops on it.
 */
function outcomeFor(data: DocumentData | undefined, id: string, floor: Floor): Outcome {
  const foreign = data !== undefined && id.startsWith(OLD_ID_PREFIX) && !("key" in data);
  if (foreign && !isFence(data.fence)) return "unraised";
  return readFenceCounter(data, id) < floor.fence ? "raised" : "unchanged";
}

/**
 * Raises one fence document to `floor` in a transaction; never lowers it. A 2.x document of
 * another key can sit under the same id when both layouts share a collection (the new key
 * `fence:x` names 2.x's counter of `x`): then only its `fence` is raised, so it still reads as
 * 2.x's on a later run (and the new backend takes its own fence from it, which only goes up).
 */
function raiseOne(db: Firestore, ref: DocumentReference, floor: Floor): Promise<Outcome> {
  return db.runTransaction(async (tx) => {
    const snapshot = await tx.get(ref);
    const outcome = outcomeFor(snapshot.data(), ref.id, floor);
    if (outcome !== "raised") return outcome;
    const fence = formatFence(floor.fence);
    if (snapshot.exists) tx.update(ref, { fence });
    else tx.set(ref, { fence, key: floor.key } satisfies FenceDocument);
    return outcome;
  });
}

/** A 2.x counter not carried over: its key's new fence document holds something else. */
export interface UnraisedCounter {
  /** The key (NFC). */
  readonly key: string;
  /** The new fence document, from the database root. */
  readonly path: string;
  /** The 2.x fence that was not carried over. */
  readonly fence: string;
}

export interface RaiseResult {
  /** Fence documents raised (or, in a dry run, that would be). */
  raised: number;
  unraised: UnraisedCounter[];
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
): Promise<RaiseResult> {
  const collection = db.collection(collectionId);
  const entries = [...floors].map(([id, floor]) => ({ ref: collection.doc(id), floor }));
  const result: RaiseResult = { raised: 0, unraised: [] };
  const size = dryRun ? READ_BATCH : CONCURRENCY;
  for (let start = 0; start < entries.length; start += size) {
    const chunk = entries.slice(start, start + size);
    const outcomes = dryRun
      ? (await db.getAll(...chunk.map((entry) => entry.ref))).map((snapshot, i) =>
          outcomeFor(snapshot.data(), snapshot.id, chunk[i]!.floor),
        )
      : await Promise.all(chunk.map(({ ref, floor }) => raiseOne(db, ref, floor)));
    outcomes.forEach((outcome, i) => {
      const { ref, floor } = chunk[i]!;
      if (outcome === "raised") result.raised++;
      if (outcome === "unraised") {
        result.unraised.push({ key: floor.key, path: ref.path, fence: formatFence(floor.fence) });
      }
    });
  }
  return result;
}
