import type { Firestore } from "@google-cloud/firestore";
import { listEveryLock } from "@syncguard/conformance";
import { type LockBackend, listLocks, readFence } from "@syncguard/core";
import { freshBackend, newDb, projectIdFor } from "./helpers";

/** Every key a listing returns, page by page (limit 2). */
async function listAll(backend: LockBackend, prefix: string): Promise<string[]> {
  const locks = await listEveryLock(backend, { prefix, limit: 2 });
  for (const lock of locks) expect(lock.fence).toMatch(/^\d{15}$/); // a fencing backend lists fences
  return locks.map((lock) => lock.key);
}

describe("listLocks and readFence on Firestore", () => {
  let db: Firestore;
  beforeAll(() => {
    db = newDb(projectIdFor("inventory"));
  });
  afterAll(() => db.terminate());

  it("pages over live locks under a prefix once each (escaped and hashed ids too), expired and released ones absent", async () => {
    let now = Date.now();
    const { backend } = freshBackend(db, { clock: () => now });
    const wanted = ["a/b", "a/c", "a%2Fz", "a/" + "x".repeat(600), "a/~t", "a/d", "a/e"].sort();
    const held = await Promise.all(
      [...wanted, "a/gone", "a%2F-not-a-slash", "b/1"].map((key) =>
        backend.acquire({ key, ttlMs: 60_000 }),
      ),
    );
    const gone = held[wanted.length];
    if (!gone?.ok) throw new Error("acquire failed");
    await backend.release({ lockId: gone.lockId });
    await backend.acquire({ key: "a/short", ttlMs: 1 });
    expect((await listAll(backend, "a/")).sort()).toEqual(
      [...wanted, "a/short"].filter((k) => k.startsWith("a/")).sort(),
    );
    now += 1_500; // a/short is past its tolerance by the backend's clock
    expect((await listAll(backend, "")).length).toBe(wanted.length + 2);
    expect((await listAll(backend, "a/")).includes("a/short")).toBe(false);
    await expect(listLocks(backend, { cursor: "@@" })).rejects.toMatchObject({
      code: "InvalidArgument",
    });
    await backend.close();
  });

  it("reads a key's own fence counter without moving it", async () => {
    const { backend } = freshBackend(db);
    expect(await readFence(backend, "k/1")).toEqual({ fence: null, shared: false });
    const first = await backend.acquire({ key: "k/1", ttlMs: 30_000 });
    if (!first.ok) throw new Error("acquire failed");
    await backend.release({ lockId: first.lockId });
    expect(await readFence(backend, "k/1")).toEqual({ fence: first.fence, shared: false });
    const second = await backend.acquire({ key: "k/1", ttlMs: 30_000 });
    if (!second.ok) throw new Error("acquire failed");
    expect(BigInt(second.fence)).toBe(BigInt(first.fence) + 1n);
    await backend.close();
  });
});
