import { acquirePermit, createLock, isLockError, type LockEvent } from "../src";
import { defineBackend } from "../src/define-backend";
import { createMemoryBackend, createMemoryDriver } from "../src/memory";
import { counting, eventually, tick } from "./helpers";

const rejection = async (pending: Promise<unknown>) => {
  try {
    await pending;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
};

describe("lock.semaphore(): at most `permits` holders", () => {
  it("admits at most permits sections at once; every fence is new and grows in entry order", async () => {
    const lock = createLock(createMemoryBackend());
    let inside = 0;
    let most = 0;
    const entered: string[] = [];
    const sections = Array.from({ length: 8 }, (_, i) =>
      lock.semaphore(
        async ({ fence }) => {
          inside++;
          most = Math.max(most, inside);
          entered.push(fence);
          for (let turn = 0; turn < 3 + (i % 3); turn++) await tick();
          inside--;
          return i;
        },
        { key: "exports", permits: 3 },
      ),
    );
    expect(await Promise.all(sections)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
    expect(entered).toHaveLength(8);
    expect([...entered].sort()).toEqual(entered);
    expect(new Set(entered).size).toBe(8);
  });

  it("gives each permit its own lockId and fence; a semaphore key and a lock key never meet", async () => {
    const backend = createMemoryBackend();
    await using first = await acquirePermit(backend, { key: "k", permits: 2 });
    await using second = await acquirePermit(backend, { key: "k", permits: 2 });
    expect(first.lockId).not.toBe(second.lockId);
    expect(second.fence > first.fence).toBe(true);
    // The lock "k" is free and has its own counter.
    const plain = await backend.acquire({ key: "k", ttlMs: 1_000 });
    expect(plain.ok && plain.fence).toBe("000000000000001");
    const third = acquirePermit(backend, { key: "k", permits: 2, timeoutMs: 0 });
    expect(isLockError(await rejection(third), "AcquisitionTimeout")).toBe(true);
  });

  it("a released permit goes to the longest waiter, in arrival order", async () => {
    const backend = createMemoryBackend();
    // Retry timers far away: only wake-ups move the waiters.
    const lock = createLock(backend, { retryDelayMs: 10_000, maxRetryDelayMs: 10_000 });
    const holder = await acquirePermit(backend, { key: "q", permits: 1 });
    const order: string[] = [];
    const waiting: Promise<void>[] = [];
    for (const name of ["a", "b", "c", "d"]) {
      let contended = false;
      waiting.push(
        lock.semaphore(
          async () => {
            order.push(name);
            await tick();
          },
          {
            key: "q",
            permits: 1,
            timeoutMs: 20_000,
            onEvent: (event) => {
              if (event.type === "contended") contended = true;
            },
          },
        ),
      );
      await eventually(() => contended);
      for (let turn = 0; turn < 5; turn++) await tick(); // joined the queue
    }
    await holder.release();
    await Promise.all(waiting);
    expect(order).toEqual(["a", "b", "c", "d"]);
  });

  it("a crashed holder's permit comes back after its TTL, with a new fence; the old holder cannot renew", async () => {
    let now = 1_000_000;
    const backend = createMemoryBackend({ clock: () => now });
    const crashed = await acquirePermit(backend, { key: "c", permits: 1, ttlMs: 2_000 });
    const early = acquirePermit(backend, { key: "c", permits: 1, timeoutMs: 0 });
    expect(isLockError(await rejection(early), "AcquisitionTimeout")).toBe(true);
    now += 2_000 + 1_000 + 1; // the TTL and the tolerance
    await using next = await acquirePermit(backend, { key: "c", permits: 1, timeoutMs: 0 });
    expect(next.fence > crashed.fence).toBe(true);
    expect(await crashed.extend()).toEqual({ ok: false });
    expect(crashed.signal.aborted).toBe(true);
    expect(await crashed.release()).toEqual({ ok: false });
  });

  it("releases with await using, and emits the lock's events", async () => {
    const backend = createMemoryBackend();
    const events: LockEvent["type"][] = [];
    {
      await using permit = await acquirePermit(backend, {
        key: "u",
        permits: 1,
        onEvent: (event) => events.push(event.type),
      });
      expect(permit.key).toBe("u");
    }
    await using again = await acquirePermit(backend, { key: "u", permits: 1, timeoutMs: 0 });
    expect(again.fence).toBe("000000000000002");
    expect(events).toEqual(["acquired", "released"]);
  });

  it("renews while fn runs (autoExtend is on, as for lock())", async () => {
    const lock = createLock(createMemoryBackend());
    const renewed = await lock.semaphore(
      async (ctx) => {
        const first = ctx.expiresAtMs;
        await eventually(() => ctx.expiresAtMs > first);
        return !ctx.signal.aborted;
      },
      { key: "r", permits: 2, ttlMs: 150 },
    );
    expect(renewed).toBe(true);
  });
});

describe("callers that disagree on permits", () => {
  it("are refused with InvalidArgument while permits are live; the next caller sets it once none is", async () => {
    const backend = createMemoryBackend();
    const held = await acquirePermit(backend, { key: "p", permits: 2 });
    const error = await rejection(acquirePermit(backend, { key: "p", permits: 3 }));
    expect(isLockError(error, "InvalidArgument")).toBe(true);
    expect((error as Error).message).toMatch(/has permits 2.*asked for 3/);
    await held.release();
    await using wider = await acquirePermit(backend, { key: "p", permits: 3 });
    expect(wider.fence).toBe("000000000000002");
  });
});

describe("bad input and backends without semaphores", () => {
  it("refuses bad permits, unknown option names and a lock option misplaced, before any I/O", async () => {
    const memory = createMemoryBackend();
    const lock = createLock(memory);
    for (const permits of [0, -1, 1.5, 1001, "3", undefined]) {
      const error = await rejection(
        lock.semaphore(() => 1, { key: "k", permits } as unknown as { key: string; permits: 3 }),
      );
      expect(isLockError(error, "InvalidArgument")).toBe(true);
      expect((error as Error).message).toMatch(/permits must be an integer from 1 to 1000/);
    }
    const typo = await rejection(
      acquirePermit(memory, { key: "k", permits: 2, permit: 1 } as unknown as {
        key: string;
        permits: 2;
      }),
    );
    expect((typo as Error).message).toMatch(/Unknown option "permit".*did you mean permits\?/);
    const onLock = await rejection(
      lock(() => 1, { key: "k", permits: 2 } as unknown as { key: string }),
    );
    expect((onLock as Error).message).toMatch(/semaphore option: use lock.semaphore\(\)/);
    // Nothing was stored: the semaphore's first permit has the first fence.
    await using first = await acquirePermit(memory, { key: "k", permits: 1, timeoutMs: 0 });
    expect(first.fence).toBe("000000000000001");
  });

  it("a backend without permits rejects lock.semaphore and acquirePermit with InvalidArgument, with nothing sent", async () => {
    const { backend, calls } = counting(createMemoryBackend());
    const lock = createLock(backend);
    let ran = false;
    const viaLock = await rejection(
      lock.semaphore(
        () => {
          ran = true;
        },
        { key: "k", permits: 2 },
      ),
    );
    expect(isLockError(viaLock, "InvalidArgument")).toBe(true);
    expect((viaLock as Error).message).toMatch(/"memory" backend does not support semaphores/);
    const viaHandle = await rejection(acquirePermit(backend, { key: "k", permits: 2 }));
    expect(isLockError(viaHandle, "InvalidArgument")).toBe(true);
    expect(ran).toBe(false);
    expect(calls).toEqual({ acquire: 0, release: 0, extend: 0 });
  });
});

describe("the permits capability of a driver", () => {
  it("defineBackend refuses a driver whose permits lack an operation", () => {
    const driver = createMemoryDriver();
    const { extend: _extend, ...partial } = driver.permits!;
    try {
      defineBackend({ ...driver, permits: partial as typeof driver.permits });
      throw new Error("expected InvalidArgument");
    } catch (error) {
      expect(isLockError(error, "InvalidArgument")).toBe(true);
      expect((error as Error).message).toMatch(/permits lack extend/);
    }
  });
});
