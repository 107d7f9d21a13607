import { FieldValue, type Firestore, Timestamp } from "@google-cloud/firestore";
import { TIME_TOLERANCE_MS } from "@syncguard/core/driver";
import { createFirestoreBackend, documentId } from "../src";
import { PURGE_MARGIN_MS } from "../src/documents";
import { freshBackend, freshCollections, useEmulatorProject } from "./helpers";

// `purgeAt` exists for a Firestore TTL policy on the lock collection (the emulator does not run TTL
// policies, so these tests check what the policy would act on: the stored field).

let db: Firestore;
const projectId = useEmulatorProject("purge", (created: Firestore) => {
  db = created;
});

async function lockData(collection: string, key: string) {
  return (await db.collection(collection).doc(documentId(key)).get()).data();
}

/** The stored purgeAt in ms; fails the test unless it is a Firestore Timestamp. */
async function purgeAtMs(collection: string, key: string): Promise<number> {
  const purgeAt = (await lockData(collection, key))?.purgeAt;
  expect(purgeAt).toBeInstanceOf(Timestamp);
  return (purgeAt as Timestamp).toMillis();
}

describe("purgeAt (the TTL policy field)", () => {
  it("acquire writes it as a Timestamp: expiry + tolerance + margin; never on the fence counter", async () => {
    const { backend, collection, fenceCollection } = freshBackend(db);
    const held = await backend.acquire({ key: "ttl:a", ttlMs: 5000 });
    if (!held.ok) throw new Error("expected the lock");
    expect(await purgeAtMs(collection, "ttl:a")).toBe(
      held.expiresAtMs + TIME_TOLERANCE_MS + PURGE_MARGIN_MS,
    );
    // A TTL policy must never be able to delete a fence counter.
    const fence = (await db.collection(fenceCollection).doc(documentId("ttl:a")).get()).data();
    expect(fence).toEqual({ fence: held.fence, key: "ttl:a" });
    expect(fence).not.toHaveProperty("purgeAt");
  });

  it("extend moves it with the expiry", async () => {
    const { backend, collection } = freshBackend(db);
    const held = await backend.acquire({ key: "ttl:b", ttlMs: 2000 });
    if (!held.ok) throw new Error("expected the lock");
    const before = await purgeAtMs(collection, "ttl:b");
    const extended = await backend.extend({ lockId: held.lockId, ttlMs: 600_000 });
    if (!extended.ok) throw new Error("expected the extension");
    const after = await purgeAtMs(collection, "ttl:b");
    expect(after).toBe(extended.expiresAtMs + TIME_TOLERANCE_MS + PURGE_MARGIN_MS);
    expect(after).toBeGreaterThan(before + 590_000);
    // Re-acquiring after release writes a fresh one too (set replaces the whole document).
    await backend.release({ lockId: held.lockId });
    const again = await backend.acquire({ key: "ttl:b", ttlMs: 1000 });
    if (!again.ok) throw new Error("expected the lock");
    expect(await purgeAtMs(collection, "ttl:b")).toBe(
      again.expiresAtMs + TIME_TOLERANCE_MS + PURGE_MARGIN_MS,
    );
  });

  it("reads ignore it: a past purgeAt does not free a live lock, a future one does not hold an expired lock", async () => {
    const { backend, collection } = freshBackend(db);
    const held = await backend.acquire({ key: "ttl:c", ttlMs: 60_000 });
    if (!held.ok) throw new Error("expected the lock");
    const ref = db.collection(collection).doc(documentId("ttl:c"));
    await ref.update({ purgeAt: Timestamp.fromMillis(Date.now() - 86_400_000) });
    expect(await backend.isLocked({ key: "ttl:c" })).toBe(true);
    const info = await backend.lookup({ key: "ttl:c" });
    expect(info).toMatchObject({ key: "ttl:c", fence: held.fence, expiresAtMs: held.expiresAtMs });
    expect(info).not.toHaveProperty("purgeAt");
    expect(await backend.lookup({ lockId: held.lockId })).toMatchObject({ fence: held.fence });
    expect(await backend.acquire({ key: "ttl:c", ttlMs: 1000 })).toMatchObject({ ok: false });

    // Expired by expiresAtMs (TTL deletion is lazy: the document is still there) but with a
    // purgeAt far ahead: the key is free.
    const now = Date.now();
    await ref.update({
      expiresAtMs: now - TIME_TOLERANCE_MS - 10,
      purgeAt: Timestamp.fromMillis(now + 86_400_000),
    });
    expect(await backend.isLocked({ key: "ttl:c" })).toBe(false);
    expect(await backend.lookup({ key: "ttl:c" })).toBeNull();
    expect(await backend.extend({ lockId: held.lockId, ttlMs: 5000 })).toEqual({ ok: false });
    const next = await backend.acquire({ key: "ttl:c", ttlMs: 5000 });
    expect(next).toMatchObject({ ok: true });
  });

  it("a lock document without purgeAt (written before it existed) still reads and extends", async () => {
    const { backend, collection } = freshBackend(db);
    const held = await backend.acquire({ key: "ttl:d", ttlMs: 5000 });
    if (!held.ok) throw new Error("expected the lock");
    const ref = db.collection(collection).doc(documentId("ttl:d"));
    await ref.update({ purgeAt: FieldValue.delete() });
    expect(await backend.lookup({ lockId: held.lockId })).toMatchObject({ fence: held.fence });
    const extended = await backend.extend({ lockId: held.lockId, ttlMs: 5000 });
    expect(extended.ok).toBe(true);
    expect((await ref.get()).get("purgeAt")).toBeInstanceOf(Timestamp);
  });

  it("is stored as a Timestamp through @google-cloud/firestore 7 too (firebase-admin 13's SDK)", async () => {
    // Typed as v8 (see conformance.firestore7.test.ts for why); runs the 7.0.0 SDK.
    const { Firestore: Firestore7 } =
      require("firestore7") as typeof import("@google-cloud/firestore");
    const db7 = new Firestore7({ projectId });
    try {
      const names = freshCollections("v7");
      const backend = createFirestoreBackend(db7, names);
      const held = await backend.acquire({ key: "ttl:v7", ttlMs: 5000 });
      if (!held.ok) throw new Error("expected the lock");
      // Read back through the v8 client: what Firestore stored, not what v7 sent.
      expect(await purgeAtMs(names.collection, "ttl:v7")).toBe(
        held.expiresAtMs + TIME_TOLERANCE_MS + PURGE_MARGIN_MS,
      );
      const extended = await backend.extend({ lockId: held.lockId, ttlMs: 60_000 });
      if (!extended.ok) throw new Error("expected the extension");
      expect(await purgeAtMs(names.collection, "ttl:v7")).toBe(
        extended.expiresAtMs + TIME_TOLERANCE_MS + PURGE_MARGIN_MS,
      );
    } finally {
      await db7.terminate();
    }
  });
});
