import type { DocumentReference, Firestore } from "@google-cloud/firestore";
import { isFence } from "@syncguard/core";
import { keyOfOldPath, OLD_ID_PREFIX } from "./layout-2x";

/** Documents per getAll call. */
const READ_BATCH = 300;
/** listCollections calls in flight at once. */
const LIST_CONCURRENCY = 16;

export interface OldCounter {
  /** The 2.x key, as its document path says it. */
  readonly key: string;
  /** The last fence 2.x issued for it. */
  readonly fence: bigint;
}

export interface OldCounters {
  /** Existing documents read under the 2.x names. */
  scanned: number;
  /** Of those, the ones that are not 2.x counters (new-layout documents, foreign data). */
  skipped: number;
  counters: OldCounter[];
}

async function inChunks<T, R>(
  items: readonly T[],
  size: number,
  work: (chunk: T[]) => Promise<R[]>,
): Promise<R[]> {
  const out: R[] = [];
  for (let start = 0; start < items.length; start += size) {
    out.push(...(await work(items.slice(start, start + size))));
  }
  return out;
}

/** The documents one level down: in every sub-collection of `parents`. */
async function childrenOf(parents: readonly DocumentReference[]): Promise<DocumentReference[]> {
  return inChunks(parents, LIST_CONCURRENCY, async (chunk) => {
    const lists = await Promise.all(
      chunk.map(async (parent) => {
        const collections = await parent.listCollections();
        return (await Promise.all(collections.map((c) => c.listDocuments()))).flat();
      }),
    );
    return lists.flat();
  });
}

/**
 * Reads every 2.x fence counter in `collectionId`: the documents named `fence:…` and, with
 * `subcollections`, everything below them (2.x keys containing "/"). A document that has a `key`
 * field was written by the new backend (both layouts can share one collection): not a 2.x counter.
 */
export async function readOldCounters(
  db: Firestore,
  collectionId: string,
  subcollections: boolean,
): Promise<OldCounters> {
  const root = db.collection(collectionId);
  const base = `${root.path}/`;
  const found: OldCounters = { scanned: 0, skipped: 0, counters: [] };
  // listDocuments also lists documents that do not exist but have sub-collections (`fence:a` of
  // the key `a/b/c`), which a query would not return.
  let level = (await root.listDocuments()).filter((ref) => ref.id.startsWith(OLD_ID_PREFIX));
  while (level.length > 0) {
    const snapshots = await inChunks(level, READ_BATCH, (chunk) => db.getAll(...chunk));
    for (const snapshot of snapshots) {
      const data = snapshot.data();
      if (data === undefined) continue;
      found.scanned++;
      const key = keyOfOldPath(snapshot.ref.path.slice(base.length));
      if ("key" in data || !isFence(data.fence) || key === undefined) {
        found.skipped++;
        continue;
      }
      found.counters.push({ key, fence: BigInt(data.fence) });
    }
    if (!subcollections) break;
    level = await childrenOf(level);
  }
  return found;
}
