import type { Firestore } from "@google-cloud/firestore";
import { isLockError } from "@syncguard/core";
import { createFirestoreBackend, documentId } from "../src";
import { type FirestoreMigrationOptions, migrateFrom2x } from "../src/migrate";
import { freshCollections, useEmulatorProject } from "./helpers";
import { dumpTree, seedCounter2x, seedLock2x } from "./helpers-2x";

let db: Firestore;
useEmulatorProject("migrate", (created: Firestore) => {
  db = created;
});

/** Key -> the last fence 2.x issued for it. The unicode key is given decomposed (2.x used NFC names). */
const SEEDED: ReadonlyArray<readonly [string, number]> = [
  ["job:1", 5],
  ["tenant:42:report", 17],
  ["cafe\u0301:☕ ключ", 123],
  ["jobs/daily/report", 40], // two "/": 2.x stored it in a sub-collection
  ["a~b", 8], // "~": the new document id is hashed
  ["hot", 89_999_999_999_999],
];

/** A fresh 2.x fence collection, and new lock and fence collections, per test. */
function names() {
  const fresh = freshCollections("mig");
  return { oldFenceCollection: `${fresh.fenceCollection}_2x`, ...fresh };
}

async function seed(oldFenceCollection: string, entries = SEEDED): Promise<void> {
  for (const [key, fence] of entries) await seedCounter2x(db, oldFenceCollection, key, fence);
}

/** The fence of the first acquire through the new backend. */
async function firstFence(options: FirestoreMigrationOptions, key: string): Promise<bigint> {
  const backend = createFirestoreBackend(db, {
    collection: options.collection!,
    fenceCollection: options.fenceCollection!,
  });
  try {
    const result = await backend.acquire({ key, ttlMs: 10_000 });
    if (!result.ok) throw new Error(`${key} is held`);
    await backend.release({ lockId: result.lockId });
    return BigInt(result.fence);
  } finally {
    await backend.close();
  }
}

describe("migrateFrom2x (Firestore)", () => {
  it("carries every 2.x counter over: the next fence of each key follows its last 2.x fence", async () => {
    const options = names();
    await seed(options.oldFenceCollection);
    const report = await migrateFrom2x(db, options);
    expect(report).toEqual({
      dryRun: false,
      documentsScanned: SEEDED.length,
      countersFound: SEEDED.length,
      skipped: 0,
      skippedDocuments: [],
      fenceDocuments: SEEDED.length,
      countersRaised: SEEDED.length,
      highestFence: "089999999999999",
      unraised: [],
    });
    // Firestore keeps one counter per key: the next fence is exactly the next number.
    for (const [key, last] of SEEDED) {
      expect(await firstFence(options, key)).toBe(BigInt(last) + 1n);
    }
  });

  it("leaves the 2.x documents exactly as they were", async () => {
    const options = names();
    await seed(options.oldFenceCollection);
    const oldLocks = `${options.collection}_2x`;
    await seedLock2x(db, oldLocks, "job:1", 5);
    const before = {
      fences: await dumpTree(db, options.oldFenceCollection),
      locks: await dumpTree(db, oldLocks),
    };
    expect(Object.keys(before.fences)).toHaveLength(SEEDED.length);

    await migrateFrom2x(db, options);
    expect(await dumpTree(db, options.oldFenceCollection)).toEqual(before.fences);
    expect(await dumpTree(db, oldLocks)).toEqual(before.locks);
  });

  it("is idempotent: a second run raises nothing and changes no document", async () => {
    const options = names();
    await seed(options.oldFenceCollection);
    await migrateFrom2x(db, options);
    const after = await dumpTree(db, options.fenceCollection);

    const again = await migrateFrom2x(db, options);
    expect(again).toMatchObject({ countersFound: SEEDED.length, countersRaised: 0 });
    expect(await dumpTree(db, options.fenceCollection)).toEqual(after);
  });

  it("never lowers a counter that is already higher", async () => {
    const options = names();
    await seed(options.oldFenceCollection, [["job:1", 5]]);
    const ref = db.collection(options.fenceCollection).doc(documentId("job:1"));
    await ref.set({ fence: "000000000001000", key: "job:1" });

    const report = await migrateFrom2x(db, options);
    expect(report.countersRaised).toBe(0);
    expect((await ref.get()).data()).toEqual({ fence: "000000000001000", key: "job:1" });
    expect(await firstFence(options, "job:1")).toBe(1001n);
  });

  it("dry run reports what it would raise and writes nothing", async () => {
    const options = names();
    await seed(options.oldFenceCollection);
    const before = await dumpTree(db, options.oldFenceCollection);

    const dry = await migrateFrom2x(db, { ...options, dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, countersRaised: SEEDED.length });
    expect(await dumpTree(db, options.fenceCollection)).toEqual({});
    expect(await dumpTree(db, options.oldFenceCollection)).toEqual(before);

    expect((await migrateFrom2x(db, options)).countersRaised).toBe(SEEDED.length);
    expect((await migrateFrom2x(db, { ...options, dryRun: true })).countersRaised).toBe(0);
  });

  it("with subcollections: false, skips 2.x keys that contain '/'", async () => {
    const options = names();
    await seed(options.oldFenceCollection);
    const report = await migrateFrom2x(db, { ...options, subcollections: false });
    expect(report.countersFound).toBe(SEEDED.length - 1);
  });

  it("skips documents under 2.x names that are not 2.x counters", async () => {
    const options = names();
    await seed(options.oldFenceCollection, [["job:1", 5]]);
    const old = db.collection(options.oldFenceCollection);
    await old.doc("fence:junk").set({ note: "not a counter" });
    await old.doc("fence:new-layout").set({ fence: "000000000000009", key: "fence:new-layout" });
    await old.doc("unrelated").set({ fence: "000000000000099", keyDebug: "unrelated" });

    const report = await migrateFrom2x(db, options);
    expect(report).toMatchObject({ documentsScanned: 3, countersFound: 1, skipped: 2 });
    expect(report.countersRaised).toBe(1);
  });

  it("shares the default collection with 2.x: 2.x 'fence:x' and the new key 'fence:x' are one document", async () => {
    // As with the defaults, where old and new fence collections are both "fence_counters".
    const { collection, fenceCollection } = freshCollections("shared");
    const options = { collection, fenceCollection, oldFenceCollection: fenceCollection };
    await seed(fenceCollection, [
      ["x", 10],
      ["fence:x", 20],
      ["job:1", 5],
    ]);
    const first = await migrateFrom2x(db, options);
    expect(first).toMatchObject({ countersFound: 3, skipped: 0 });
    expect(await firstFence(options, "x")).toBeGreaterThan(10n);
    expect(await firstFence(options, "fence:x")).toBeGreaterThan(20n);
    expect(await firstFence(options, "job:1")).toBe(6n);
    // The new backend now owns "fence:x" (it has a `key`): later runs take it for a new document.
    const later = await migrateFrom2x(db, options);
    expect(later).toMatchObject({ countersFound: 2, skipped: 1, countersRaised: 0 });
  });
});

describe("migrateFrom2x and fence documents that hold no counter", () => {
  it("skips 2.x-named documents whose fence is not a fence and names each with what it holds", async () => {
    const options = names();
    await seed(options.oldFenceCollection, [["job:1", 5]]);
    const old = db.collection(options.oldFenceCollection);
    await old.doc("fence:number").set({ fence: 12, keyDebug: "number" });
    await old.doc("fence:text").set({ fence: "twelve", keyDebug: "text" });
    await old.doc("fence:map").set({ fence: { value: "000000000000012" } });
    await old.doc("fence:none").set({ keyDebug: "none" });

    const report = await migrateFrom2x(db, options);
    expect(report).toMatchObject({ documentsScanned: 5, countersFound: 1, skipped: 4 });
    const path = (id: string) => `${options.oldFenceCollection}/${id}`;
    expect([...report.skippedDocuments].sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: path("fence:map"), type: "fence is a map" },
      { path: path("fence:none"), type: "no fence field" },
      { path: path("fence:number"), type: "fence is a number" },
      { path: path("fence:text"), type: "fence is a string that is not a fence" },
    ]);
    expect(report.unraised).toEqual([]);
    expect(await firstFence(options, "job:1")).toBe(6n);
    expect((await old.doc("fence:number").get()).data()).toEqual({ fence: 12, keyDebug: "number" });
  });

  it("does not abort when a key's new fence document is a 2.x-named document holding no counter", async () => {
    // The default layout shares one collection: the new fence document of the key "fence:x" is
    // the 2.x document "fence:x", here holding a number where 2.x wrote a 15-digit string.
    const { collection, fenceCollection } = freshCollections("clash");
    const options = { collection, fenceCollection, oldFenceCollection: fenceCollection };
    await seed(fenceCollection, [
      ["fence:x", 20],
      ["job:1", 5],
    ]);
    await db.collection(fenceCollection).doc("fence:x").set({ fence: 12, keyDebug: "x" });

    for (const dryRun of [true, false]) {
      const report = await migrateFrom2x(db, { ...options, dryRun });
      expect(report).toMatchObject({ countersFound: 2, skipped: 1, countersRaised: 1 });
      expect(report.unraised).toEqual([
        { key: "fence:x", path: `${fenceCollection}/fence:x`, fence: "000000000000020" },
      ]);
    }
    // Left as it was; the other key was carried over.
    expect((await db.collection(fenceCollection).doc("fence:x").get()).data()).toEqual({
      fence: 12,
      keyDebug: "x",
    });
    expect(await firstFence(options, "job:1")).toBe(6n);
  });
});

describe("migrateFrom2x input", () => {
  // Any property access fails: proves bad options are rejected before the client is touched.
  const untouchable = new Proxy(
    { collection() {} },
    {
      get(target, property) {
        if (property === "collection") return target.collection;
        throw new Error("the client was touched");
      },
    },
  ) as unknown as Firestore;

  it.each<[string, unknown]>([
    ["options not an object", "locks"],
    ["an empty oldFenceCollection", { oldFenceCollection: "" }],
    ["an oldFenceCollection with '/'", { oldFenceCollection: "a/b" }],
    ["a reserved fenceCollection", { fenceCollection: "__x__" }],
    ["equal collection and fenceCollection", { collection: "c", fenceCollection: "c" }],
    ["the 2.x fence collection as lock collection", { collection: "fence_counters" }],
    ["subcollections not a boolean", { subcollections: "no" }],
    ["dryRun not a boolean", { dryRun: 1 }],
  ])("rejects %s with InvalidArgument before any I/O", async (_, options) => {
    const error = await migrateFrom2x(untouchable, options as FirestoreMigrationOptions).catch(
      (e: unknown) => e,
    );
    expect(isLockError(error, "InvalidArgument")).toBe(true);
  });

  it("rejects something that is not a Firestore instance", async () => {
    for (const db of [null, {}, "db"]) {
      const error = await migrateFrom2x(db as never).catch((e: unknown) => e);
      expect(isLockError(error, "InvalidArgument")).toBe(true);
    }
  });
});
