import { type Firestore, Timestamp } from "@google-cloud/firestore";
import { getById, getByKey, owns } from "@syncguard/core";
import { CLEANUP_GUARD_MS, generateLockId, hashLockId } from "@syncguard/core/driver";
import { createFirestoreBackend, documentId } from "../src";
import { docIds, freshBackend, freshCollections, newDb, useEmulatorProject } from "./helpers";

let db: Firestore;
const projectId = useEmulatorProject("ops", (created: Firestore) => {
  db = created;
});

describe("lifecycle", () => {
  it("acquires, reports contention with holder info, extends, releases", async () => {
    const { backend } = freshBackend(db);
    const first = await backend.acquire({ key: "job:1", ttlMs: 5000 });
    if (!first.ok) throw new Error("expected the lock");
    expect(first.lockId).toMatch(/^[A-Za-z0-9_-]{36}$/);
    expect(first.fence).toBe("000000000000001");
    const second = await backend.acquire({ key: "job:1", ttlMs: 5000 });
    expect(second).toMatchObject({ ok: false, reason: "locked", holder: { fence: first.fence } });
    if (second.ok) throw new Error("unreachable");
    expect(second.holder?.remainingMs).toBeGreaterThan(5000);
    expect(second.holder?.remainingMs).toBeLessThanOrEqual(6000);

    const before = Date.now();
    const extended = await backend.extend({ lockId: first.lockId, ttlMs: 20_000 });
    if (!extended.ok) throw new Error("expected extend to succeed");
    // Replaces the expiry (now + ttl), does not add to it.
    expect(extended.expiresAtMs).toBeGreaterThanOrEqual(before + 20_000);
    expect(extended.expiresAtMs).toBeLessThan(Date.now() + 20_000 + 50);

    expect(await backend.release({ lockId: first.lockId })).toEqual({ ok: true });
    expect(await backend.release({ lockId: first.lockId })).toEqual({ ok: false });
    expect(await backend.extend({ lockId: first.lockId, ttlMs: 1000 })).toEqual({ ok: false });
    const third = await backend.acquire({ key: "job:1", ttlMs: 5000 });
    expect(third).toMatchObject({ ok: true, fence: "000000000000002" });
  });

  it("stores the documented document shapes", async () => {
    const { backend, collection, fenceCollection } = freshBackend(db);
    const result = await backend.acquire({ key: "cafe\u0301", ttlMs: 5000 });
    if (!result.ok) throw new Error("expected the lock");
    const id = documentId("café");
    const lock = (await db.collection(collection).doc(id).get()).data();
    expect(lock).toEqual({
      lockId: result.lockId,
      key: "café", // normalized (NFC), not the raw spelling
      acquiredAtMs: expect.any(Number),
      expiresAtMs: result.expiresAtMs,
      fence: result.fence,
      purgeAt: expect.any(Timestamp), // for a TTL policy: see purge-at.test.ts
    });
    expect(lock?.expiresAtMs - lock?.acquiredAtMs).toBe(5000);
    const fence = (await db.collection(fenceCollection).doc(id).get()).data();
    expect(fence).toEqual({ fence: "000000000000001", key: "café" });
  });

  it("lookup by key and by lockId, getByKey/getById/owns", async () => {
    const { backend } = freshBackend(db);
    expect(await backend.lookup({ key: "res" })).toBeNull();
    const held = await backend.acquire({ key: "res", ttlMs: 5000 });
    if (!held.ok) throw new Error("expected the lock");
    const info = await getByKey(backend, "res");
    expect(info).toEqual({
      key: "res",
      lockIdHash: hashLockId(held.lockId),
      acquiredAtMs: expect.any(Number),
      expiresAtMs: held.expiresAtMs,
      fence: held.fence,
    });
    expect(info).not.toHaveProperty("lockId");
    expect(await getById(backend, held.lockId)).toEqual(info);
    expect(await owns(backend, held.lockId)).toBe(true);
    await backend.release({ lockId: held.lockId });
    expect(await owns(backend, held.lockId)).toBe(false);
    expect(await backend.lookup({ key: "res" })).toBeNull();
  });

  it("different keys are independent, each with its own fence counter", async () => {
    const { backend } = freshBackend(db);
    const [a, b] = await Promise.all([
      backend.acquire({ key: "a", ttlMs: 5000 }),
      backend.acquire({ key: "b", ttlMs: 5000 }),
    ]);
    expect(a).toMatchObject({ ok: true, fence: "000000000000001" });
    expect(b).toMatchObject({ ok: true, fence: "000000000000001" });
  });
});

describe("acquire under the caller's lockId", () => {
  it("a repeat under the holder's own lockId returns the lock unchanged and writes nothing", async () => {
    const { backend, collection, fenceCollection } = freshBackend(db);
    const lockId = generateLockId("mine");
    const first = await backend.acquire({ key: "mine", ttlMs: 5000, lockId });
    expect(first).toMatchObject({ ok: true, lockId, fence: "000000000000001" });
    const lockRef = db.collection(collection).doc("mine");
    const fenceRef = db.collection(fenceCollection).doc("mine");
    const [lockBefore, fenceBefore] = await Promise.all([lockRef.get(), fenceRef.get()]);
    expect(await backend.acquire({ key: "mine", ttlMs: 60_000, lockId })).toEqual(first);
    const [lockAfter, fenceAfter] = await Promise.all([lockRef.get(), fenceRef.get()]);
    expect(lockAfter.updateTime?.isEqual(lockBefore.updateTime!)).toBe(true);
    expect(fenceAfter.updateTime?.isEqual(fenceBefore.updateTime!)).toBe(true);
    // Another lockId for the same key is turned away as usual.
    const other = await backend.acquire({
      key: "mine",
      ttlMs: 5000,
      lockId: generateLockId("mine"),
    });
    expect(other).toMatchObject({ ok: false, reason: "locked" });
  });

  it("the transaction returns it unchanged too when it lands after the precheck", async () => {
    // An earlier attempt's commit landing late: the precheck saw the key free, the transaction
    // finds the key held by this very lockId.
    const raceDb = newDb(projectId);
    const names = freshCollections("late");
    const backend = createFirestoreBackend(raceDb, names);
    const lockId = generateLockId("late");
    const ref = db.collection(names.collection).doc("late");
    const landed = {
      lockId,
      key: "late",
      acquiredAtMs: Date.now(),
      expiresAtMs: Date.now() + 5000,
      fence: "000000000000007",
    };
    const runTransaction = raceDb.runTransaction.bind(raceDb);
    raceDb.runTransaction = (async (...args: Parameters<typeof runTransaction>) => {
      await ref.set(landed);
      return runTransaction(...args);
    }) as typeof runTransaction;
    try {
      const before = await ref.get();
      expect(await backend.acquire({ key: "late", ttlMs: 60_000, lockId })).toEqual({
        ok: true,
        lockId,
        expiresAtMs: landed.expiresAtMs,
        fence: landed.fence,
      });
      const after = await ref.get();
      expect(after.data()).toEqual(landed);
      expect(before.exists).toBe(false);
      expect(await docIds(db, names.fenceCollection)).toEqual([]);
    } finally {
      await raceDb.terminate();
    }
  });
});

describe("document ids", () => {
  const edgeKeys: [string, string][] = [
    ["slash", "a/b"],
    ["dot", "."],
    ["dot-dot", ".."],
    ["reserved", "__x__"],
    ["512 bytes", "k".repeat(512)],
    ["seed's 2000-char key", "x".repeat(2000)],
    ["emoji", "🔒 lock 🚀"],
    ["tilde", "a~b"],
    ["nested slashes", "a/b/c/d"],
  ];

  it("every edge-case key locks and unlocks in its own document", async () => {
    const { backend, collection, fenceCollection } = freshBackend(db);
    const held: string[] = [];
    for (const [, key] of edgeKeys) {
      const result = await backend.acquire({ key, ttlMs: 10_000 });
      if (!result.ok) throw new Error(`could not lock ${key.slice(0, 20)}`);
      expect(await backend.isLocked({ key })).toBe(true);
      expect((await backend.lookup({ key }))?.key).toBe(key);
      held.push(result.lockId);
    }
    const ids = await docIds(db, collection);
    expect(ids).toHaveLength(edgeKeys.length);
    expect(new Set(ids).size).toBe(edgeKeys.length);
    for (const [, key] of edgeKeys) {
      const id = documentId(key);
      expect(ids).toContain(id);
      expect(id.includes("/")).toBe(false);
      expect(Buffer.byteLength(id)).toBeLessThanOrEqual(1500);
      expect((await db.collection(collection).doc(id).get()).get("key")).toBe(key);
    }
    expect(await docIds(db, fenceCollection)).toEqual(ids);
    for (const lockId of held) expect(await backend.release({ lockId })).toEqual({ ok: true });
    for (const [, key] of edgeKeys) expect(await backend.isLocked({ key })).toBe(false);
    expect(await docIds(db, collection)).toEqual([]);
    // Fence counters survive release.
    expect(await docIds(db, fenceCollection)).toHaveLength(edgeKeys.length);
  });

  it("long keys sharing a 512-byte prefix get distinct documents", async () => {
    const { backend, collection } = freshBackend(db);
    const a = `${"p".repeat(600)}a`;
    const b = `${"p".repeat(600)}b`;
    expect(await backend.acquire({ key: a, ttlMs: 5000 })).toMatchObject({ ok: true });
    expect(await backend.acquire({ key: b, ttlMs: 5000 })).toMatchObject({ ok: true });
    expect(await docIds(db, collection)).toHaveLength(2);
    expect(documentId(a)).not.toBe(documentId(b));
  });

  it("an escaped key never meets the key that looks like its escape", async () => {
    const { backend } = freshBackend(db);
    expect(await backend.acquire({ key: "a/b", ttlMs: 5000 })).toMatchObject({ ok: true });
    expect(await backend.acquire({ key: "a%2Fb", ttlMs: 5000 })).toMatchObject({ ok: true });
    expect(await backend.acquire({ key: documentId("a/b"), ttlMs: 5000 })).toMatchObject({
      ok: true,
    });
  });
});

describe("collections", () => {
  it("custom collection names hold the documents", async () => {
    const names = freshCollections("custom");
    const backend = createFirestoreBackend(db, {
      collection: `app_${names.collection}`,
      fenceCollection: `app_${names.fenceCollection}`,
    });
    const result = await backend.acquire({ key: "payment:1", ttlMs: 5000 });
    if (!result.ok) throw new Error("expected the lock");
    expect(await docIds(db, `app_${names.collection}`)).toEqual(["payment:1"]);
    expect(await docIds(db, `app_${names.fenceCollection}`)).toEqual(["payment:1"]);
    expect(await backend.release({ lockId: result.lockId })).toEqual({ ok: true });
  });

  it("two backends on different collections do not see each other's locks", async () => {
    const one = freshBackend(db).backend;
    const two = freshBackend(db).backend;
    expect(await one.acquire({ key: "shared", ttlMs: 5000 })).toMatchObject({ ok: true });
    expect(await two.acquire({ key: "shared", ttlMs: 5000 })).toMatchObject({ ok: true });
  });
});

describe("expiry and cleanup (injected client clock)", () => {
  function clockedBackend(cleanupInIsLocked: boolean) {
    let offset = 0;
    const made = freshBackend(db, { cleanupInIsLocked, clock: () => Date.now() + offset });
    return { ...made, advance: (ms: number) => (offset += ms) };
  }

  it("a lock is live until expiresAtMs + 1000 ms, then free; expired locks are not extended", async () => {
    const { backend, advance } = clockedBackend(false);
    const held = await backend.acquire({ key: "ttl", ttlMs: 1000 });
    if (!held.ok) throw new Error("expected the lock");
    advance(1000 + 500); // past the TTL, inside the tolerance
    expect(await backend.isLocked({ key: "ttl" })).toBe(true);
    expect(await backend.acquire({ key: "ttl", ttlMs: 1000 })).toMatchObject({ ok: false });
    advance(600); // past expiresAtMs + 1000
    expect(await backend.isLocked({ key: "ttl" })).toBe(false);
    expect(await backend.lookup({ key: "ttl" })).toBeNull();
    expect(await backend.lookup({ lockId: held.lockId })).toBeNull();
    expect(await backend.extend({ lockId: held.lockId, ttlMs: 10_000 })).toEqual({ ok: false });
    expect(await backend.release({ lockId: held.lockId })).toEqual({ ok: false });
    const next = await backend.acquire({ key: "ttl", ttlMs: 1000 });
    expect(next).toMatchObject({ ok: true, fence: "000000000000002" });
  });

  it("isLocked stays a pure read without cleanupInIsLocked", async () => {
    const { backend, collection, advance } = clockedBackend(false);
    await backend.acquire({ key: "stale", ttlMs: 1000 });
    advance(1000 + CLEANUP_GUARD_MS + 100);
    expect(await backend.isLocked({ key: "stale" })).toBe(false);
    expect(await docIds(db, collection)).toEqual(["stale"]);
  });

  it("cleanupInIsLocked removes an expired lock document but never its fence counter", async () => {
    const { backend, collection, fenceCollection, advance } = clockedBackend(true);
    await backend.acquire({ key: "stale", ttlMs: 1000 });
    advance(1000 + CLEANUP_GUARD_MS - 200); // expired, but inside the cleanup guard
    expect(await backend.isLocked({ key: "stale" })).toBe(false);
    expect(await docIds(db, collection)).toEqual(["stale"]);
    advance(400); // past the guard
    expect(await backend.isLocked({ key: "stale" })).toBe(false);
    expect(await docIds(db, collection)).toEqual([]);
    expect(await docIds(db, fenceCollection)).toEqual(["stale"]);
    expect((await db.collection(fenceCollection).doc("stale").get()).data()).toEqual({
      fence: "000000000000001",
      key: "stale",
    });
    // The counter keeps counting after cleanup.
    expect(await backend.acquire({ key: "stale", ttlMs: 1000 })).toMatchObject({
      fence: "000000000000002",
    });
  });

  it("cleanup never removes a live lock", async () => {
    const { backend, collection } = clockedBackend(true);
    await backend.acquire({ key: "live", ttlMs: 60_000 });
    expect(await backend.isLocked({ key: "live" })).toBe(true);
    expect(await docIds(db, collection)).toEqual(["live"]);
  });
});

describe("fence counter limits", () => {
  it("refuses before writing anything when the counter is exhausted", async () => {
    const { backend, collection, fenceCollection } = freshBackend(db);
    await db.collection(fenceCollection).doc("full").set({ fence: "900000000000000", key: "full" });
    await expect(backend.acquire({ key: "full", ttlMs: 1000 })).rejects.toMatchObject({
      code: "Internal",
      message: expect.stringMatching(/Fence counter overflow/),
    });
    expect(await docIds(db, collection)).toEqual([]);
    expect((await db.collection(fenceCollection).doc("full").get()).get("fence")).toBe(
      "900000000000000",
    );
  });

  it("issues the next fence past the warning threshold and warns once", async () => {
    const { backend, fenceCollection } = freshBackend(db);
    await db.collection(fenceCollection).doc("high").set({ fence: "089999999999999", key: "high" });
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      expect(await backend.acquire({ key: "high", ttlMs: 1000 })).toMatchObject({
        ok: true,
        fence: "090000000000000",
      });
      const second = await backend.acquire({ key: "high-2", ttlMs: 1000 });
      expect(second.ok).toBe(true);
      await db.collection(fenceCollection).doc("high-3").set({
        fence: "090000000000000",
        key: "high-3",
      });
      await backend.acquire({ key: "high-3", ttlMs: 1000 });
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/approaching limit/));
    } finally {
      warn.mockRestore();
    }
  });
});

describe("duplicate lockIds (copied documents)", () => {
  it("release and extend refuse and warn instead of touching either copy", async () => {
    const { backend, collection, fenceCollection } = freshBackend(db);
    const held = await backend.acquire({ key: "orig", ttlMs: 10_000 });
    if (!held.ok) throw new Error("expected the lock");
    const data = (await db.collection(collection).doc("orig").get()).data();
    await db
      .collection(collection)
      .doc("copy")
      .set({ ...data, key: "copy" });
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      expect(await backend.release({ lockId: held.lockId })).toEqual({ ok: false });
      expect(await backend.extend({ lockId: held.lockId, ttlMs: 1000 })).toEqual({ ok: false });
      expect(await backend.lookup({ lockId: held.lockId })).toBeNull();
      expect(warn.mock.calls.some(([message]) => /Duplicate lockId/.test(String(message)))).toBe(
        true,
      );
      // With a logger on the backend, the warning goes there and console stays quiet.
      warn.mockClear();
      const lines: string[] = [];
      const logged = createFirestoreBackend(db, {
        collection,
        fenceCollection,
        logger: { warn: (message) => lines.push(message), error: () => undefined },
      });
      expect(await logged.release({ lockId: held.lockId })).toEqual({ ok: false });
      expect(lines).toEqual([expect.stringMatching(/Duplicate lockId/)]);
      expect(warn).not.toHaveBeenCalled();
      await logged.close();
    } finally {
      warn.mockRestore();
    }
    expect(await docIds(db, collection)).toEqual(["copy", "orig"]);
  });
});

describe("release and extend re-check the document inside their transaction", () => {
  // They find the document with a plain query first; a holder change between that query and the
  // transaction must be seen by the transaction's own read.
  it.each(["release", "extend"] as const)(
    "%s of a lock taken over after the query leaves the new holder alone",
    async (operation) => {
      const raceDb = newDb(projectId);
      const names = freshCollections("stale");
      const backend = createFirestoreBackend(raceDb, names);
      const held = await backend.acquire({ key: "moved", ttlMs: 10_000 });
      if (!held.ok) throw new Error("expected the lock");
      const ref = db.collection(names.collection).doc("moved");
      const intruder = {
        ...(await ref.get()).data(),
        lockId: "B".repeat(36),
        fence: "000000000000009",
      };
      const runTransaction = raceDb.runTransaction.bind(raceDb);
      // Called after the query, before the transaction's read: the lock changes hands here.
      raceDb.runTransaction = (async (...args: Parameters<typeof runTransaction>) => {
        await ref.set(intruder);
        return runTransaction(...args);
      }) as typeof runTransaction;
      try {
        const result =
          operation === "release"
            ? await backend.release({ lockId: held.lockId })
            : await backend.extend({ lockId: held.lockId, ttlMs: 60_000 });
        expect(result).toEqual({ ok: false });
        expect((await ref.get()).data()).toEqual(intruder);
      } finally {
        await raceDb.terminate();
      }
    },
  );
});

describe("abort inside a transaction", () => {
  it("an abort after dispatch rolls the acquire back with Aborted and writes nothing", async () => {
    const { backend, collection, fenceCollection } = freshBackend(db);
    const controller = new AbortController();
    const pending = backend.acquire({ key: "abort-me", ttlMs: 5000, signal: controller.signal });
    controller.abort(new Error("stop"));
    await expect(pending).rejects.toMatchObject({ code: "Aborted" });
    expect(await docIds(db, collection)).toEqual([]);
    expect(await docIds(db, fenceCollection)).toEqual([]);
  });
});
