import { createLock, isLockError, LockError, type LockEvent } from "../src";
import { defaultDeps } from "../src/handle";
import { createLockWith } from "../src/lock";
import { createMemoryBackend } from "../src/memory";
import { counting } from "./helpers";

// Fake timers drive both the lease (its monotonic clock reads Date.now here) and the memory
// backend's expiry, so hours of renewal run in milliseconds and nothing sleeps.
const fakeDeps = () => ({ ...defaultDeps, now: () => Date.now(), wall: () => Date.now() });

const waitForAbort = (signal: AbortSignal) =>
  new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));

describe("maxHoldMs: bounded renewal", () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it("stops renewing a hung holder and aborts ctx.signal with LockLost while the lease is still live", async () => {
    const memory = createMemoryBackend();
    const { backend, calls } = counting(memory);
    const events: LockEvent[] = [];
    const lock = createLockWith(backend, {}, fakeDeps());
    const startedAt = Date.now();
    let abortedAfterMs = Number.NaN;
    let liveAtAbort: boolean | undefined;
    let reason: unknown;
    const outcome = lock(
      async ({ signal, expiresAtMs }) => {
        void expiresAtMs;
        await waitForAbort(signal); // a worker that never finishes on its own
        abortedAfterMs = Date.now() - startedAt;
        reason = signal.reason;
        liveAtAbort = await memory.isLocked({ key: "job" });
      },
      {
        key: "job",
        ttlMs: 300,
        autoExtend: true,
        maxHoldMs: 1_000,
        onEvent: (e) => events.push(e),
      },
    ).catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(5_000);
    const error = await outcome;
    expect(isLockError(error, "LockLost")).toBe(true);
    expect(isLockError(reason, "LockLost")).toBe(true);
    expect((reason as LockError).message).toMatch(/maxHoldMs \(1000 ms\)/);
    expect(abortedAfterMs).toBeGreaterThanOrEqual(1_000);
    expect(abortedAfterMs).toBeLessThan(1_100);
    expect(liveAtAbort).toBe(true);
    expect(events).toContainEqual({ type: "lost", key: "job", reason: "max-hold" });
    // Renewals every ttl/3 = 100 ms up to the bound, then none.
    expect(calls.extend).toBeGreaterThanOrEqual(8);
    expect(calls.extend).toBeLessThanOrEqual(10);
    expect(await memory.isLocked({ key: "job" })).toBe(false); // released when fn settled
  });

  it("never aborts before the bound by the lease's own clock, even when timers fire early", async () => {
    const memory = createMemoryBackend();
    const start = Date.now();
    // A monotonic clock a little behind the timers: each timer fires "early" by this clock.
    const behind = () => start + (Date.now() - start) * 0.99;
    const lock = createLockWith(
      memory,
      {},
      { ...defaultDeps, now: behind, wall: () => Date.now() },
    );
    let abortedAt = Number.NaN;
    const outcome = lock(
      async ({ signal }) => {
        await waitForAbort(signal);
        abortedAt = behind();
      },
      { key: "early", ttlMs: 300, autoExtend: true, maxHoldMs: 1_000 },
    ).catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(isLockError(await outcome, "LockLost")).toBe(true);
    expect(abortedAt - start).toBeGreaterThanOrEqual(1_000);
    expect(abortedAt - start).toBeLessThan(1_050);
  });

  it("a holder that ignores the signal keeps no renewal: the lock frees within one TTL of the bound", async () => {
    const memory = createMemoryBackend();
    const { backend, calls } = counting(memory);
    const lock = createLockWith(backend, {}, fakeDeps());
    let finish: () => void = () => undefined;
    const outcome = lock(() => new Promise<void>((resolve) => (finish = resolve)), {
      key: "hung",
      ttlMs: 3_000,
      autoExtend: true,
      maxHoldMs: 10_000,
    }).catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(10_000);
    const renewals = calls.extend;
    // Past the bound, the last lease (<= 3 s) plus the 1 s tolerance: nothing keeps it alive.
    await jest.advanceTimersByTimeAsync(3_000 + 1_000 + 10);
    expect(calls.extend).toBe(renewals);
    expect(await memory.isLocked({ key: "hung" })).toBe(false);
    expect((await memory.acquire({ key: "hung", ttlMs: 1_000 })).ok).toBe(true);
    finish();
    expect(isLockError(await outcome, "LockLost")).toBe(true);
  });

  it("defaults to one hour with autoExtend", async () => {
    const lock = createLockWith(createMemoryBackend(), {}, fakeDeps());
    const startedAt = Date.now();
    let abortedAfterMs = Number.NaN;
    const outcome = lock(
      async ({ signal }) => {
        await waitForAbort(signal);
        abortedAfterMs = Date.now() - startedAt;
      },
      { key: "k", autoExtend: true },
    ).catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(3_600_000 - 1_000);
    expect(Number.isNaN(abortedAfterMs)).toBe(true);
    await jest.advanceTimersByTimeAsync(2_000);
    expect(isLockError(await outcome, "LockLost")).toBe(true);
    expect(abortedAfterMs).toBeGreaterThanOrEqual(3_600_000);
  });

  it("Infinity opts out: a renewing holder is still held after two hours", async () => {
    const lock = createLockWith(createMemoryBackend(), {}, fakeDeps());
    let signal: AbortSignal | undefined;
    let finish: () => void = () => undefined;
    const outcome = lock(
      (ctx) => {
        signal = ctx.signal;
        return new Promise<string>((resolve) => (finish = () => resolve("done")));
      },
      { key: "leader", autoExtend: true, maxHoldMs: Number.POSITIVE_INFINITY },
    );
    await jest.advanceTimersByTimeAsync(2 * 3_600_000);
    expect(signal?.aborted).toBe(false);
    finish();
    await expect(outcome).resolves.toBe("done");
  });

  it("bounds ctx.extend() too: past maxHoldMs it resolves { ok: false } without I/O", async () => {
    const { backend, calls } = counting(createMemoryBackend());
    const lock = createLockWith(backend, {}, fakeDeps());
    let seen: { late: { ok: boolean }; io: number; aborted: boolean } | undefined;
    const outcome = lock(
      async (ctx) => {
        expect((await ctx.extend()).ok).toBe(true);
        await jest.advanceTimersByTimeAsync(600);
        expect((await ctx.extend()).ok).toBe(true);
        await jest.advanceTimersByTimeAsync(600);
        const before = calls.extend;
        const late = await ctx.extend();
        seen = { late, io: calls.extend - before, aborted: ctx.signal.aborted };
      },
      { key: "k", ttlMs: 1_000, maxHoldMs: 1_000 },
    ).catch((error: unknown) => error);
    const error = await outcome;
    expect(isLockError(error, "LockLost")).toBe(true);
    expect((error as LockError).message).toMatch(/maxHoldMs/);
    expect(seen).toEqual({ late: { ok: false }, io: 0, aborted: true });
  });

  it.each([
    [0, "below ttlMs"],
    [29_999, "below the default ttlMs"],
    [60_000.5, "not an integer"],
    [-1, "negative"],
    ["3600000", "a string"],
    [Number.NaN, "NaN"],
  ] as [unknown, string][])(
    "rejects maxHoldMs %p (%s) with InvalidArgument before any I/O",
    async (maxHoldMs: unknown, _why: string) => {
      const { backend, calls } = counting(createMemoryBackend());
      const error = await createLock(backend)(() => 1, {
        key: "k",
        autoExtend: true,
        maxHoldMs: maxHoldMs as number,
      }).catch((e: unknown) => e);
      expect(isLockError(error, "InvalidArgument")).toBe(true);
      expect((error as LockError).message).toMatch(/maxHoldMs must be/);
      expect(calls.acquire).toBe(0);
    },
  );
});

describe("lock.ifFree(): run once or skip", () => {
  it("runs fn and returns its value when the key is free, and releases", async () => {
    const backend = createMemoryBackend();
    const lock = createLock(backend);
    await expect(lock.ifFree(() => 42, { key: "slot" })).resolves.toEqual({ ran: true, value: 42 });
    // fn returning undefined is still distinguishable from a skip.
    await expect(lock.ifFree(() => undefined, { key: "slot" })).resolves.toEqual({
      ran: true,
      value: undefined,
    });
    expect(await backend.isLocked({ key: "slot" })).toBe(false);
  });

  it("resolves { ran: false } without running fn when the key is held, with one attempt despite a waiting default", async () => {
    const memory = createMemoryBackend();
    const { backend, calls } = counting(memory);
    const held = await memory.acquire({ key: "slot", ttlMs: 60_000 });
    if (!held.ok) throw new Error("setup");
    const lock = createLock(backend, { timeoutMs: 5_000 });
    const fn = jest.fn(() => "ran");
    await expect(lock.ifFree(fn, { key: "slot" })).resolves.toEqual({ ran: false });
    expect(fn).not.toHaveBeenCalled();
    expect(calls.acquire).toBe(1);
  });

  it("waits when the call sets timeoutMs, and runs once the holder releases", async () => {
    const backend = createMemoryBackend();
    const held = await backend.acquire({ key: "slot", ttlMs: 60_000 });
    if (!held.ok) throw new Error("setup");
    const lock = createLock(backend);
    const pending = lock.ifFree(() => "late", { key: "slot", timeoutMs: 5_000 });
    setTimeout(() => void backend.release({ lockId: held.lockId }), 50);
    await expect(pending).resolves.toEqual({ ran: true, value: "late" });
  });

  it("still throws other errors: a backend outage, and an AcquisitionTimeout thrown by fn itself", async () => {
    const memory = createMemoryBackend();
    const down = {
      ...memory,
      acquire: async () => {
        throw new LockError("ServiceUnavailable", "backend down");
      },
    };
    await expect(createLock(down).ifFree(() => 1, { key: "k" })).rejects.toMatchObject({
      code: "ServiceUnavailable",
    });
    const lock = createLock(memory);
    await expect(
      lock.ifFree(
        () => {
          throw new LockError("AcquisitionTimeout", "from inside fn");
        },
        { key: "k" },
      ),
    ).rejects.toThrow("from inside fn");
    await expect(lock.ifFree("nope" as never, { key: "k" })).rejects.toMatchObject({
      code: "InvalidArgument",
    });
    await expect(lock.ifFree(() => 1, { key: "" })).rejects.toMatchObject({
      code: "InvalidArgument",
    });
  });
});
