import { createLock } from "../src";
import { lockSpace } from "../src/lease-space";
import { createMemoryBackend } from "../src/memory";
import { joinWaiters } from "../src/wait-queue";
import { counting, eventually } from "./helpers";

describe("local waiter queue", () => {
  it("a release wakes only the oldest waiter; leaving with an unused wake-up passes it on", async () => {
    const backend = createMemoryBackend();
    const first = await joinWaiters(lockSpace(backend), "k", `w${Math.random()}`);
    const second = await joinWaiters(lockSpace(backend), "k", `w${Math.random()}`);
    if (!first || !second) throw new Error("memory backend can notify");
    const held = await backend.acquire({ key: "k", ttlMs: 10_000 });
    if (!held.ok) throw new Error("setup");
    await backend.release({ lockId: held.lockId });
    await eventually(() => first.pending);
    expect(second.pending).toBe(false);
    first.leave();
    expect(second.pending).toBe(true);
    second.leave();
  });

  it("one release costs one more attempt in this process, not one per waiter", async () => {
    const memory = createMemoryBackend();
    const { backend, calls } = counting(memory);
    const held = await memory.acquire({ key: "k", ttlMs: 30_000 });
    if (!held.ok) throw new Error("setup");
    const lock = createLock(backend);
    const waiters = Array.from({ length: 10 }, () =>
      lock(() => undefined, {
        key: "k",
        retryDelayMs: 5_000,
        maxRetryDelayMs: 5_000,
        timeoutMs: 20_000,
      }),
    );
    // Each waiter: first attempt, then an immediate attempt after joining the queue.
    await eventually(() => calls.acquire === 20);
    await memory.release({ lockId: held.lockId });
    await Promise.all(waiters);
    // 10 wins, each preceded by exactly one wake-up: no stampede of failed attempts.
    expect(calls.acquire).toBe(30);
  });

  it("local waiters get the lock in arrival order", async () => {
    const backend = createMemoryBackend();
    const held = await backend.acquire({ key: "k", ttlMs: 30_000 });
    if (!held.ok) throw new Error("setup");
    const lock = createLock(backend);
    const order: number[] = [];
    const waiters: Promise<unknown>[] = [];
    for (let i = 0; i < 6; i++) {
      waiters.push(
        lock(() => order.push(i), { key: "k", retryDelayMs: 5_000, maxRetryDelayMs: 5_000 }),
      );
      await new Promise((r) => setTimeout(r, 5));
    }
    await backend.release({ lockId: held.lockId });
    await Promise.all(waiters);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe("reserved hand-offs", () => {
  it("a release reserved for a named waiter wakes that waiter only", async () => {
    const memory = createMemoryBackend();
    let fire: ((reservedFor?: string) => void) | undefined;
    const backend = {
      ...memory,
      subscribe: async (_key: string, listener: (reservedFor?: string) => void) => {
        fire = listener;
        return () => undefined;
      },
    };
    const a = await joinWaiters(lockSpace(backend), "k", "waiter-a");
    const b = await joinWaiters(lockSpace(backend), "k", "waiter-b");
    if (!a || !b || !fire) throw new Error("setup");
    fire("waiter-b");
    expect([a.pending, b.pending]).toEqual([false, true]);
    fire("someone-elsewhere");
    expect(a.pending).toBe(false);
    fire();
    expect(a.pending).toBe(true);
    a.leave();
    b.leave();
  });
});

describe("lingering subscription", () => {
  it("a caller arriving while the key is already watched needs no extra attempt", async () => {
    const memory = createMemoryBackend();
    const { backend, calls } = counting(memory);
    const held = await memory.acquire({ key: "k", ttlMs: 30_000 });
    if (!held.ok) throw new Error("setup");
    const lock = createLock(backend);
    const options = { key: "k", retryDelayMs: 5_000, maxRetryDelayMs: 5_000 };
    const first = lock(() => undefined, options);
    await eventually(() => calls.acquire === 2); // attempt, subscribe, attempt again
    const second = lock(() => undefined, options);
    await new Promise((r) => setTimeout(r, 30));
    expect(calls.acquire).toBe(3); // joined the watched key first: one attempt, then waits
    await memory.release({ lockId: held.lockId });
    await Promise.all([first, second]);
  });
});

describe("bounded subscription", () => {
  it("a subscription that never confirms does not stall lock(): it times out on budget", async () => {
    const memory = createMemoryBackend();
    const held = await memory.acquire({ key: "k", ttlMs: 30_000 });
    if (!held.ok) throw new Error("setup");
    const stuck = { ...memory, subscribe: () => new Promise<never>(() => undefined) };
    const started = Date.now();
    await expect(
      createLock(stuck)(() => 1, { key: "k", timeoutMs: 200, retryDelayMs: 20 }),
    ).rejects.toMatchObject({ code: "AcquisitionTimeout" });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("an abort while subscribing rejects at once with Aborted", async () => {
    const memory = createMemoryBackend();
    const held = await memory.acquire({ key: "k", ttlMs: 30_000 });
    if (!held.ok) throw new Error("setup");
    const stuck = { ...memory, subscribe: () => new Promise<never>(() => undefined) };
    const controller = new AbortController();
    const waiting = createLock(stuck)(() => 1, {
      key: "k",
      signal: controller.signal,
      timeoutMs: 10_000,
    });
    await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: "Aborted" });
  });
});
