import { forceRelease, isLockError, type LockBackend } from "../src";
import { hashLockId } from "../src/for-drivers";
import { createMemoryBackend } from "../src/memory";

describe("forceRelease", () => {
  it("deletes the live lock of a key whoever holds it, and says what it was", async () => {
    const backend = createMemoryBackend();
    const held = await backend.acquire({ key: "job", ttlMs: 10_000 });
    if (!held.ok) throw new Error("acquire failed");
    const forced = await forceRelease(backend, "job");
    expect(forced).toEqual({
      released: true,
      fence: held.fence,
      lockIdHash: hashLockId(held.lockId),
    });
    // The evicted holder can neither release nor extend any more; the next holder is fenced above.
    expect(await backend.release({ lockId: held.lockId })).toEqual({ ok: false });
    expect(await backend.extend({ lockId: held.lockId, ttlMs: 1_000 })).toEqual({ ok: false });
    const next = await backend.acquire({ key: "job", ttlMs: 10_000 });
    if (!next.ok) throw new Error("the key was not freed");
    expect(BigInt(next.fence)).toBeGreaterThan(BigInt(held.fence));
  });

  it("reports released: false for a free key and leaves other keys alone", async () => {
    const backend = createMemoryBackend();
    const other = await backend.acquire({ key: "other", ttlMs: 10_000 });
    expect(await forceRelease(backend, "free")).toEqual({ released: false });
    expect(await backend.isLocked({ key: "other" })).toBe(true);
    if (other.ok) await backend.release({ lockId: other.lockId });
  });

  it("normalizes the key like every operation (NFC)", async () => {
    const backend = createMemoryBackend();
    await backend.acquire({ key: "caf\u00e9", ttlMs: 10_000 });
    expect((await forceRelease(backend, "cafe\u0301")).released).toBe(true);
  });

  it("rejects a bad key or an aborted signal with a LockError before touching the store", async () => {
    const backend = createMemoryBackend();
    for (const [key, options, code] of [
      ["", {}, "InvalidArgument"],
      [42, {}, "InvalidArgument"],
      ["k", { signal: AbortSignal.abort() }, "Aborted"],
    ] as const) {
      const error = await forceRelease(backend, key as string, options).catch((e: unknown) => e);
      expect(isLockError(error, code)).toBe(true);
      expect((error as Error).message).not.toBe("");
    }
  });

  it("refuses a backend written against LockBackend directly: it cannot name the holder", async () => {
    const memory = createMemoryBackend();
    const plain: LockBackend = {
      capabilities: memory.capabilities,
      acquire: (o) => memory.acquire(o),
      release: (o) => memory.release(o),
      extend: (o) => memory.extend(o),
      isLocked: (o) => memory.isLocked(o),
      lookup: (o) => memory.lookup(o),
    };
    const error = await forceRelease(plain, "k").catch((e: unknown) => e);
    expect(isLockError(error, "InvalidArgument")).toBe(true);
    expect((error as Error).message).toMatch(/defineBackend/);
  });
});
