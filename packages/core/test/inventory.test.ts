import { isLockError, type LockBackend, listLocks, readFence } from "../src";
import { defineBackend, hashLockId } from "../src/for-drivers";
import { createMemoryBackend, createMemoryDriver } from "../src/memory";

describe("listLocks", () => {
  it("pages through live locks once each, in key order, with a prefix filter", async () => {
    let now = 1_000_000;
    const backend = createMemoryBackend({ clock: () => now });
    for (const key of ["job:a", "job:b", "job:c", "job:d", "job:e", "other"]) {
      await backend.acquire({ key, ttlMs: 10_000 });
    }
    await backend.acquire({ key: "job:short", ttlMs: 1 });
    now += 2_000; // job:short is past its tolerance now
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listLocks(backend, {
        prefix: "job:",
        limit: 2,
        ...(cursor ? { cursor } : {}),
      });
      expect(page.locks.length).toBeLessThanOrEqual(2);
      for (const lock of page.locks) {
        expect(Object.keys(lock).sort()).toEqual(["acquiredAtMs", "expiresAtMs", "fence", "key"]);
        seen.push(lock.key);
      }
      cursor = page.cursor;
      pages += 1;
    } while (cursor);
    expect(seen).toEqual(["job:a", "job:b", "job:c", "job:d", "job:e"]);
    expect(pages).toBe(3);
  });

  it("shows only key, fence and times even when a careless driver returns more", async () => {
    const memory = createMemoryDriver();
    const careless = defineBackend({
      ...memory,
      // A driver that hands out whole records, lockIds and all.
      list: async () => ({
        locks: [
          { key: "k", lockId: "secret", acquiredAtMs: 1, expiresAtMs: 2, fence: "000000000000001" },
        ],
        cursor: "",
      }),
      // Permits come to core with their lockIds (ADR-041): core turns each into a holder id.
      permits: {
        ...memory.permits!,
        list: async () => ({
          permits: [
            {
              key: "s",
              lockId: "secret",
              permits: 2,
              expiresAtMs: 3,
              fence: "000000000000002",
              waiter: "extra",
            },
          ],
        }),
      },
    });
    expect(await listLocks(careless)).toEqual({
      locks: [{ key: "k", acquiredAtMs: 1, expiresAtMs: 2, fence: "000000000000001" }],
      permits: [
        {
          key: "s",
          holderId: hashLockId("secret"),
          permits: 2,
          expiresAtMs: 3,
          fence: "000000000000002",
        },
      ],
    });
  });

  it("rejects bad options before touching the store", async () => {
    const backend = createMemoryBackend();
    for (const options of [
      { limit: 0 },
      { limit: 1001 },
      { limit: 1.5 },
      { prefix: 3 },
      { cursor: "" },
      { cursor: "!!" },
    ]) {
      await expect(listLocks(backend, options as never)).rejects.toMatchObject({
        code: "InvalidArgument",
      });
    }
  });

  it("refuses a backend without the operation with InvalidArgument", async () => {
    const bare = {
      capabilities: { backend: "bare", supportsFencing: false, timeAuthority: "client" },
    } as unknown as LockBackend;
    const error = await listLocks(bare).catch((e: unknown) => e);
    expect(
      isLockError(error) && error.code === "InvalidArgument" && /list/.test(error.message),
    ).toBe(true);
    await expect(readFence(bare, "k")).rejects.toMatchObject({ code: "InvalidArgument" });
  });
});

describe("readFence", () => {
  it("reads the counter without moving it: null before any acquire, the last fence after", async () => {
    const backend = createMemoryBackend();
    expect(await readFence(backend, "k")).toEqual({ fence: null, shared: false });
    const held = await backend.acquire({ key: "k", ttlMs: 10_000 });
    if (!held.ok) throw new Error("acquire failed");
    await backend.release({ lockId: held.lockId });
    expect(await readFence(backend, "k")).toEqual({ fence: held.fence, shared: false });
    expect(await readFence(backend, "k")).toEqual({ fence: held.fence, shared: false });
    const next = await backend.acquire({ key: "k", ttlMs: 10_000 });
    expect(next.ok && BigInt(next.fence) === BigInt(held.fence) + 1n).toBe(true);
    await expect(readFence(backend, "")).rejects.toMatchObject({ code: "InvalidArgument" });
  });
});
