import { randomBytes } from "node:crypto";
import type { Firestore } from "@google-cloud/firestore";

/**
 * syncguard 2.x's Firestore storage, restated from its documented rules (not its code), to seed
 * data exactly as 2.x left it: the fence counter of a key is the document `fence:<NFC key>` of the
 * fence collection, the key used verbatim as a path (so `a/b/c` nests in sub-collections), holding
 * `{ fence: "<15 digits>", keyDebug: <key as given> }`; a lock is the document `<NFC key>` of the
 * lock collection holding `{ lockId (22 chars), expiresAtMs, acquiredAtMs, key (as given), fence }`.
 */
export const fencePath2x = (key: string) => `fence:${key.normalize("NFC")}`;

const pad15 = (n: number) => String(n).padStart(15, "0");

/** A counter that has issued `lastFence` fences. Returns the document's path. */
export async function seedCounter2x(
  db: Firestore,
  fenceCollection: string,
  key: string,
  lastFence: number,
): Promise<string> {
  const ref = db.collection(fenceCollection).doc(fencePath2x(key));
  await ref.set({ fence: pad15(lastFence), keyDebug: key });
  return ref.path;
}

/** A live 2.x lock on `key` holding `fence`. */
export async function seedLock2x(
  db: Firestore,
  collection: string,
  key: string,
  fence: number,
  ttlMs = 60_000,
): Promise<string> {
  const now = Date.now();
  const ref = db.collection(collection).doc(key.normalize("NFC"));
  await ref.set({
    lockId: randomBytes(16).toString("base64url"),
    expiresAtMs: now + ttlMs,
    acquiredAtMs: now,
    key,
    fence: pad15(fence),
  });
  return ref.path;
}

/** Path -> data of every document in a collection and all its sub-collections. */
export async function dumpTree(
  db: Firestore,
  collection: string,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const walk = async (path: string) => {
    for (const ref of await db.collection(path).listDocuments()) {
      const snapshot = await ref.get();
      if (snapshot.exists) out[ref.path] = snapshot.data();
      for (const sub of await ref.listCollections()) await walk(sub.path);
    }
  };
  await walk(collection);
  return out;
}
