import {
  acquirePermit,
  createLock,
  forceReleasePermit,
  getSemaphore,
  isLockError,
  type LockEvent,
  listLocks,
} from "../src";
import { defineBackend, hashLockId } from "../src/for-drivers";
import { createMemoryBackend, createMemoryDriver } from "../src/memory";
import { eventually } from "./helpers";

const rejection = async (pending: Promise<unknown>) => {
  try {
    await pending;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
};

const silent = { warn() {}, error() {} };

describe("getSemaphore: who holds a semaphore's permits", () => {
  it("shows each live permit by holder id, fence and times, never its lockId", async () => {
    let now = 1_000_000;
    const backend = createMemoryBackend({ clock: () => now });
    await using first = await acquirePermit(backend, { key: "exports", permits: 3, ttlMs: 5_000 });
    now += 10;
    await using second = await acquirePermit(backend, { key: "exports", permits: 3, ttlMs: 9_000 });
    const info = await getSemaphore(backend, "exports");
    expect(info).toEqual({
      key: "exports",
      permits: 3,
      holders: [
        {
          key: "exports",
          holderId: hashLockId(first.lockId),
          fence: first.fence,
          acquiredAtMs: 1_000_000,
          expiresAtMs: 1_005_000,
          permits: 3,
        },
        {
          key: "exports",
          holderId: hashLockId(second.lockId),
          fence: second.fence,
          acquiredAtMs: 1_000_010,
          expiresAtMs: 1_009_010,
          permits: 3,
        },
      ],
    });
    const shown = JSON.stringify(info);
    expect(shown).not.toContain(first.lockId);
    expect(shown).not.toContain(second.lockId);
  });

  it("is null for a semaphore without live permits, and a lock of the same key is not a permit", async () => {
    let now = 1_000_000;
    const backend = createMemoryBackend({ clock: () => now });
    await backend.acquire({ key: "k", ttlMs: 60_000 });
    expect(await getSemaphore(backend, "k")).toBeNull();
    await acquirePermit(backend, { key: "k", permits: 1, ttlMs: 1_000 });
    now += 1_000 + 1_000 + 1; // the TTL and the tolerance: expired
    expect(await getSemaphore(backend, "k")).toBeNull();
  });
});

describe("forceReleasePermit: one permit out, whoever holds it", () => {
  it("frees exactly the named slot; its holder loses it; the next permit gets a higher fence", async () => {
    const backend = createMemoryBackend({ logger: silent });
    const events: LockEvent[] = [];
    const warnings: string[] = [];
    const evicted = await acquirePermit(backend, { key: "s", permits: 2 });
    await using kept = await acquirePermit(backend, { key: "s", permits: 2 });
    const forced = await forceReleasePermit(backend, "s", {
      fence: evicted.fence,
      onEvent: (event) => events.push(event),
      logger: { warn: (message) => warnings.push(message), error() {} },
    });
    expect(forced).toEqual({
      released: true,
      fence: evicted.fence,
      lockIdHash: hashLockId(evicted.lockId),
    });
    expect(events).toEqual([
      { type: "forced", key: "s", released: true, fence: evicted.fence, permit: true },
    ]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(evicted.fence);
    expect(warnings[0]).not.toContain(evicted.lockId);
    // The other permit is untouched; exactly one slot came free.
    expect(await kept.extend()).toMatchObject({ ok: true });
    await using next = await acquirePermit(backend, { key: "s", permits: 2, timeoutMs: 0 });
    expect(next.fence > kept.fence).toBe(true);
    const full = await rejection(acquirePermit(backend, { key: "s", permits: 2, timeoutMs: 0 }));
    expect(isLockError(full, "AcquisitionTimeout")).toBe(true);
    // The evicted holder finds out at its next extend, and cannot release what is not its own.
    expect(await evicted.extend()).toEqual({ ok: false });
    expect(evicted.signal.aborted).toBe(true);
    expect(await evicted.release()).toEqual({ ok: false });
  });

  it("names the permit by holder id too, and reports released: false when none matches", async () => {
    const backend = createMemoryBackend({ logger: silent });
    await using held = await acquirePermit(backend, { key: "h", permits: 1 });
    const holderId = hashLockId(held.lockId);
    expect(await forceReleasePermit(backend, "h", { holderId: "0".repeat(16) })).toEqual({
      released: false,
    });
    expect(await forceReleasePermit(backend, "h", { fence: "999999999999999" })).toEqual({
      released: false,
    });
    expect(await forceReleasePermit(backend, "free", { holderId })).toEqual({ released: false });
    expect((await forceReleasePermit(backend, "h", { holderId })).released).toBe(true);
    expect(await getSemaphore(backend, "h")).toBeNull();
  });

  it("aborts a lock.semaphore holder's signal with LockLost at its next renewal, and wakes a waiter", async () => {
    const backend = createMemoryBackend({ logger: silent });
    const lock = createLock(backend);
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let reason: unknown;
    const holder = lock.semaphore(
      async (ctx) => {
        entered();
        await eventually(() => ctx.signal.aborted);
        reason = ctx.signal.reason;
      },
      { key: "w", permits: 1, ttlMs: 200, logger: silent, onReleaseError() {} },
    );
    await inside;
    const waiter = lock.semaphore((ctx) => ctx.fence, {
      key: "w",
      permits: 1,
      timeoutMs: 4_000,
      maxRetries: 1_000,
    });
    const fence = (await getSemaphore(backend, "w"))!.holders[0]!.fence;
    expect((await forceReleasePermit(backend, "w", { fence: fence! })).released).toBe(true);
    // The call itself rejects with LockLost once fn settles, as for a force-released lock.
    expect(isLockError(await rejection(holder), "LockLost")).toBe(true);
    expect(isLockError(reason, "LockLost")).toBe(true);
    expect((await waiter) > fence!).toBe(true);
  });

  it("refuses bad input with InvalidArgument (Aborted for a fired signal) before any I/O", async () => {
    const backend = createMemoryBackend();
    const cases: [unknown, unknown, "InvalidArgument" | "Aborted"][] = [
      ["k", {}, "InvalidArgument"],
      ["k", { fence: "000000000000001", holderId: "0123456789abcdef" }, "InvalidArgument"],
      ["k", { fence: 1 }, "InvalidArgument"],
      ["k", { fence: "1" }, "InvalidArgument"],
      ["k", { holderId: "lockId-like-secret" }, "InvalidArgument"],
      ["k", { holderId: "0123456789abcdef", lockId: "x" }, "InvalidArgument"],
      ["k", null, "InvalidArgument"],
      ["", { fence: "000000000000001" }, "InvalidArgument"],
      ["k", { fence: "000000000000001", onEvent: 1 }, "InvalidArgument"],
      ["k", { fence: "000000000000001", signal: AbortSignal.abort() }, "Aborted"],
    ];
    for (const [key, options, code] of cases) {
      const error = await rejection(
        forceReleasePermit(backend, key as string, options as { fence: string }),
      );
      expect([isLockError(error, code), (error as Error).message]).toEqual([
        true,
        expect.stringMatching(/\S/),
      ]);
    }
    for (const [key, options] of [
      ["", {}],
      ["k", { limit: 1 }],
    ] as const) {
      const error = await rejection(getSemaphore(backend, key, options as object));
      expect(isLockError(error, "InvalidArgument")).toBe(true);
    }
  });

  it("is refused with InvalidArgument, nothing sent, on a driver without permits.read", async () => {
    const driver = createMemoryDriver();
    const { read: _read, list: _list, ...oldPermits } = driver.permits!;
    let acquires = 0;
    const backend = defineBackend({
      ...driver,
      permits: {
        ...oldPermits,
        acquire: (input) => {
          acquires += 1;
          return oldPermits.acquire(input);
        },
      },
    });
    await using held = await acquirePermit(backend, { key: "k", permits: 1 });
    for (const call of [
      getSemaphore(backend, "k"),
      forceReleasePermit(backend, "k", { fence: held.fence }),
    ]) {
      const error = await rejection(call);
      expect(isLockError(error, "InvalidArgument")).toBe(true);
      expect((error as Error).message).toMatch(/permits\.read/);
    }
    expect(acquires).toBe(1);
    // Listing still works; it shows no permits, since the driver cannot list them.
    const page = await listLocks(backend);
    expect(page.permits).toBeUndefined();
  });
});

describe("a driver's optional permit operations", () => {
  it("are refused by defineBackend when given but not functions", () => {
    const driver = createMemoryDriver();
    for (const name of ["read", "list"]) {
      try {
        defineBackend({ ...driver, permits: { ...driver.permits!, [name]: true } as never });
        throw new Error("expected InvalidArgument");
      } catch (error) {
        expect(isLockError(error, "InvalidArgument")).toBe(true);
        expect((error as Error).message).toContain(`permits.${name} must be`);
      }
    }
  });
});

describe("listLocks shows permits", () => {
  it("lists the locks, then the permits with holder ids and no lockIds, across pages", async () => {
    const backend = createMemoryBackend();
    const locks = [];
    for (const key of ["a", "b"]) {
      const held = await backend.acquire({ key, ttlMs: 60_000 });
      if (held.ok) locks.push(held);
    }
    const permits = [];
    for (const key of ["a", "s1", "s1", "s2", "t"]) {
      permits.push(await acquirePermit(backend, { key, permits: 2, ttlMs: 60_000 }));
    }
    const first = await listLocks(backend, { prefix: "s" });
    expect(first.locks).toEqual([]);
    expect(first.permits!.map((p) => [p.key, p.fence, p.holderId, p.permits])).toEqual(
      permits.slice(1, 4).map((p) => [p.key, p.fence, hashLockId(p.lockId), 2]),
    );
    expect(first.cursor).toBeUndefined();
    // One entry a page: every lock once, then every permit once.
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listLocks(backend, { limit: 1, ...(cursor ? { cursor } : {}) });
      expect(page.locks.length + (page.permits?.length ?? 0)).toBeLessThanOrEqual(1);
      seen.push(...page.locks.map((lock) => `lock ${lock.key}`));
      seen.push(...(page.permits ?? []).map((permit) => `permit ${permit.key} ${permit.fence}`));
      for (const held of [...locks, ...permits]) {
        expect(JSON.stringify(page)).not.toContain(held.lockId);
      }
      cursor = page.cursor;
    } while (cursor);
    expect(seen).toEqual([
      "lock a",
      "lock b",
      ...permits.map((permit) => `permit ${permit.key} ${permit.fence}`),
    ]);
    const error = await rejection(listLocks(backend, { cursor: "X" }));
    expect(isLockError(error, "InvalidArgument")).toBe(true);
  });
});
