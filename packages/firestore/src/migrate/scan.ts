import type { DocumentReference, Firestore } from "@google-cloud/firestore";
import { isFence } from "@syncguard/core/driver";
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

/** A document under a 2.x counter name that held no counter, and what it held instead. */
export interface SkippedDocument {
  /** Its path from the database root (`fence_counters/fence:x`). */
  readonly path: string;
  /** What it holds: "fence is a number", "no fence field", "a fence document of the new layout"... */
  readonly type: string;
}

/** How many skipped documents a report lists (`skipped` counts them all). */
export const MAX_SKIPPED_LISTED = 100;

export interface OldCounters {
  /** Existing documents read under the 2.x names. */
  scanned: number;
  /** Of those, the ones that are not 2.x counters (new-layout documents, foreign data). */
  skipped: number;
  /** The first MAX_SKIPPED_LISTED of them. */
  skippedDocuments: SkippedDocument[];
  counters: OldCounter[];
}

/** Why a document under a 2.x name is not a 2.x counter; undefined when it is one. */
function notACounter(data: Record<string, unknown>, key: string | undefined): string | undefined {
  if ("key" in data) return "a fence document of the new layout";
  if (key === undefined) return "no key in its name";
  if (!("fence" in data)) return "no fence field";
  if (isFence(data.fence)) return undefined;
  return `fence is ${describe(data.fence)}`;
}

/** A Firestore value's kind, for people. */
function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return "a string that is not a fence";
  if (Array.isArray(value)) return "an array";
  if (typeof value !== "object") return `a ${typeof value}`;
  const name = (value as object).constructor?.name;
  return name && name !== "Object" ? `a ${name}` : "a map";
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
  const found: OldCounters = { scanned: 0, skipped: 0, skippedDocuments: [], counters: [] };
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
      const type = notACounter(data, key);
      if (type !== undefined || key === undefined) {
        found.skipped++;
        if (found.skippedDocuments.length < MAX_SKIPPED_LISTED) {
          found.skippedDocuments.push({ path: snapshot.ref.path, type: type ?? "no key" });
        }
        continue;
      }
      found.counters.push({ key, fence: BigInt(data.fence) });
    }
    if (!subcollections) break;
    level = await childrenOf(level);
  }
  return found;
}
