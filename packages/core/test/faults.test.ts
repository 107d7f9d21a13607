import {
  type AcquireResult,
  acquirePermit,
  createLock,
  isLockError,
  type LockBackend,
  LockError,
  type LockEvent,
  type ReleaseResult,
  whenIdle,
} from "../src";
import { defineBackend } from "../src/define-backend";
import type { AcquireOptions } from "../src/for-drivers";
import { lockSpace } from "../src/lease-space";
import { createMemoryBackend, createMemoryDriver } from "../src/memory";
import { yieldWindowCount } from "../src/releaser-yield";
import { joinWaiters } from "../src/wait-queue";
import { counting, eventually } from "./helpers";

// The engine's behaviour under backend faults, on pure in-process backends. The same faults on
// real services are in tests/faults.

/** A backend whose acquire answers only when the test says so (a frozen server). */
function frozenAcquire(inner = createMemoryBackend()) {
  const pending: Array<{ options: AcquireOptions; answer: () => Promise<void> }> = [];
  const released: string[] = [];
  const backend: LockBackend = {
    ...inner,
    capabilities: inner.capabilities,
    acquire: (options) =>
      new Promise<AcquireResult>((resolve, reject) => {
        pending.push({
          options,
          answer: () => inner.acquire({ ...options, signal: undefined }).then(resolve, reject),
        });
      }),
    release: async (options): Promise<ReleaseResult> => {
      released.push(options.lockId);
      return inner.release(options);
    },
    extend: (options) => inner.extend(options),
    isLocked: (options) => inner.isLocked(options),
    lookup: (options) => inner.lookup(options),
  };
  return { backend, inner, pending, released };
}

const settleTime = async (promise: Promise<unknown>) => {
  const started = performance.now();
  const outcome = await promise.then(
    (value): { value?: unknown; error?: unknown } => ({ value }),
    (error: unknown) => ({ error }),
  );
  return { ...outcome, ms: performance.now() - started };
};

describe("an unresponsive backend", () => {
  it("lock() ends by timeoutMs with NetworkTimeout, and the abandoned attempt is released once it lands", async () => {
    const { backend, inner, pending, released } = frozenAcquire();
    const { error, ms } = await settleTime(
      createLock(backend)(() => "ran", { key: "frozen", timeoutMs: 200 }),
    );
    expect(isLockError(error, "NetworkTimeout")).toBe(true);
    expect((error as LockError).message).toMatch(/did not answer within timeoutMs \(200 ms\)/);
    expect(ms).toBeLessThan(200 + 100);
    // The server wakes up and the attempt takes the lock after all: it must be given back.
    expect(pending).toHaveLength(1);
    await pending[0]?.answer();
    await eventually(async () => !(await inner.isLocked({ key: "frozen" })));
    expect(released).toEqual([pending[0]?.options.lockId]);
  });

  it("a failure of the attempt before the unanswered one is named in the NetworkTimeout and kept as its cause", async () => {
    const { backend, pending } = frozenAcquire();
    let calls = 0;
    const failingFirst: LockBackend = {
      ...backend,
      acquire: (options) => {
        if (calls++ === 0) {
          return Promise.reject(new LockError("ServiceUnavailable", "too few replicas answered"));
        }
        return backend.acquire(options);
      },
    };
    const { error } = await settleTime(
      createLock(failingFirst)(() => "ran", { key: "flaky", timeoutMs: 300, retryDelayMs: 10 }),
    );
    expect(isLockError(error, "NetworkTimeout")).toBe(true);
    expect((error as LockError).message).toMatch(
      /did not answer within timeoutMs.*The attempt before it failed: too few replicas answered/,
    );
    expect(isLockError((error as LockError).cause, "ServiceUnavailable")).toBe(true);
    for (const frozen of pending) await frozen.answer();
  });

  it("an abort ends the wait at once, while the attempt is in flight", async () => {
    const { backend } = frozenAcquire();
    const controller = new AbortController();
    const call = createLock(backend)(() => "ran", {
      key: "frozen",
      timeoutMs: 10_000,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    const { error, ms } = await settleTime(call);
    expect(isLockError(error, "Aborted")).toBe(true);
    expect(ms).toBeLessThan(50 + 100);
  });
});

describe("an attempt whose reply is lost", () => {
  it("is reconciled by the next attempt: same lockId, the lock is ours, fn runs", async () => {
    const inner = createMemoryBackend();
    let dropped = 0;
    const lossy: LockBackend = {
      ...inner,
      capabilities: inner.capabilities,
      acquire: async (options) => {
        const result = await inner.acquire(options);
        if (dropped++ === 0) throw new LockError("NetworkTimeout", "reply lost");
        return result;
      },
      release: (o) => inner.release(o),
      extend: (o) => inner.extend(o),
      isLocked: (o) => inner.isLocked(o),
      lookup: (o) => inner.lookup(o),
    };
    const value = await createLock(lossy)(({ fence }) => fence, {
      key: "lossy",
      retryDelayMs: 10,
    });
    expect(value).toBe("000000000000001"); // the first attempt's lock, not a second one
    expect(await inner.isLocked({ key: "lossy" })).toBe(false);
  });

  it("is released when the acquisition gives up without learning the outcome", async () => {
    const inner = createMemoryBackend();
    const lossy: LockBackend = {
      ...inner,
      capabilities: inner.capabilities,
      acquire: async (options) => {
        await inner.acquire(options);
        throw new LockError("NetworkTimeout", "reply lost");
      },
      release: (o) => inner.release(o),
      extend: (o) => inner.extend(o),
      isLocked: (o) => inner.isLocked(o),
      lookup: (o) => inner.lookup(o),
    };
    await expect(
      createLock(lossy)(() => "ran", { key: "lossy", timeoutMs: 0, ttlMs: 60_000 }),
    ).rejects.toMatchObject({ code: "NetworkTimeout" });
    await eventually(async () => !(await inner.isLocked({ key: "lossy" })));
  });
});

describe("an earlier attempt whose reply was lost", () => {
  it("is released when the acquisition gives up during a later attempt that was never sent", async () => {
    const inner = createMemoryBackend();
    let attempts = 0;
    const lossy: LockBackend = {
      ...inner,
      capabilities: inner.capabilities,
      acquire: async (options) => {
        attempts++;
        if (attempts === 1) {
          // It landed, but its reply was lost: the outcome is unknown to the caller.
          await inner.acquire(options);
          throw new LockError("NetworkTimeout", "reply lost");
        }
        // Held back past the caller's deadline, then refused unsent (as PostgreSQL does while an
        // earlier statement of the same lockId may still commit).
        await new Promise((resolve) => setTimeout(resolve, 200));
        throw new LockError("ServiceUnavailable", "not sent");
      },
      release: (o) => inner.release(o),
      extend: (o) => inner.extend(o),
      isLocked: (o) => inner.isLocked(o),
      lookup: (o) => inner.lookup(o),
    };
    await expect(
      createLock(lossy)(() => "ran", {
        key: "lossy-then-unsent",
        timeoutMs: 100,
        ttlMs: 60_000,
        retryDelayMs: 5,
      }),
    ).rejects.toMatchObject({ name: "LockError" });
    expect(attempts).toBeGreaterThan(1);
    await eventually(async () => !(await inner.isLocked({ key: "lossy-then-unsent" })));
  });
});

describe("a lock that vanished while fn ran", () => {
  it("still returns fn's value, but reports the loss: a lost event and onReleaseError(LockLost)", async () => {
    const backend = createMemoryBackend();
    const events: LockEvent[] = [];
    const releaseErrors: Error[] = [];
    const value = await createLock(backend)(
      async ({ lockId }) => {
        await backend.release({ lockId }); // as FLUSHALL or a failover would
        const other = await backend.acquire({ key: "gone", ttlMs: 10_000 });
        expect(other.ok).toBe(true);
        return "charged";
      },
      {
        key: "gone",
        onEvent: (event) => events.push(event),
        onReleaseError: (error) => releaseErrors.push(error),
      },
    );
    expect(value).toBe("charged");
    expect(events).toContainEqual({ type: "lost", key: "gone", reason: "not-held" });
    expect(releaseErrors).toHaveLength(1);
    expect(isLockError(releaseErrors[0], "LockLost")).toBe(true);
    expect(releaseErrors[0]?.message).not.toBe("");
  });
});

describe("a backward wall-clock step", () => {
  it("does not stretch the lease: the signal aborts at the monotonic deadline", async () => {
    const memory = createMemoryBackend();
    const serverTimed: LockBackend = {
      ...memory,
      capabilities: { backend: "memory", supportsFencing: true, timeAuthority: "server" },
      acquire: (o) => memory.acquire(o),
      release: (o) => memory.release(o),
      extend: (o) => memory.extend(o),
      isLocked: (o) => memory.isLocked(o),
      lookup: (o) => memory.lookup(o),
    };
    const realNow = Date.now.bind(Date);
    const step = jest.spyOn(Date, "now");
    try {
      await expect(
        createLock(serverTimed)(
          async ({ signal }) => {
            step.mockImplementation(() => realNow() - 5_000);
            await new Promise<void>((resolve, reject) => {
              const timer = setTimeout(() => reject(new Error("signal never aborted")), 3_000);
              signal.addEventListener("abort", () => {
                clearTimeout(timer);
                resolve();
              });
            });
          },
          { key: "stepped", ttlMs: 400, autoExtend: false },
        ),
      ).rejects.toMatchObject({ code: "LockLost" });
    } finally {
      step.mockRestore();
    }
  });

  it("on a client-authority backend, a forward step ends the lease early (never later)", async () => {
    const backend = createMemoryBackend();
    const realNow = Date.now.bind(Date);
    const step = jest.spyOn(Date, "now");
    try {
      await expect(
        createLock(backend)(
          async (ctx) => {
            step.mockImplementation(() => realNow() + 60_000);
            expect(ctx.signal.aborted).toBe(true);
          },
          { key: "forward", ttlMs: 30_000 },
        ),
      ).rejects.toMatchObject({ code: "LockLost" });
    } finally {
      step.mockRestore();
    }
  });
});

describe("input checks before any I/O", () => {
  it.each([
    ["autoExtend: 'false'", { autoExtend: "false" }],
    ["signal: {}", { signal: {} }],
    ["onEvent: 'log'", { onEvent: "log" }],
    ["onReleaseError: 1", { onReleaseError: 1 }],
  ])("lock() refuses %s", async (_, bad) => {
    const { backend, calls } = counting(createMemoryBackend());
    const error = await createLock(backend)(() => undefined, {
      key: "k",
      ...(bad as object),
    }).catch((e: unknown) => e);
    expect(isLockError(error, "InvalidArgument")).toBe(true);
    expect((error as Error).message).not.toBe("");
    expect(calls.acquire).toBe(0);
  });

  it("backend.acquire refuses a lockId made for another key", async () => {
    const backend = createMemoryBackend();
    const first = await backend.acquire({ key: "a", ttlMs: 1_000 });
    if (!first.ok) throw new Error("setup");
    await expect(
      backend.acquire({ key: "b", ttlMs: 1_000, lockId: first.lockId }),
    ).rejects.toMatchObject({ code: "InvalidArgument" });
  });
});

describe("bounded bookkeeping", () => {
  it("hand-off windows of keys never contended again are dropped", async () => {
    const driver = createMemoryDriver();
    const contended = defineBackend({
      ...driver,
      release: async (input) => ({ ...(await driver.release(input)), contended: true }),
    });
    const lock = createLock(contended);
    for (let i = 0; i < 1_000; i++) {
      await lock(() => undefined, { key: `once:${i}` });
      if (i % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 60));
    }
    expect(yieldWindowCount(lockSpace(contended))).toBeLessThan(300);
  });

  it("a waiter that gives up after being queued is withdrawn from the backend's queue", async () => {
    const withdrawn: string[] = [];
    const backend = defineBackend({
      ...createMemoryDriver(),
      withdraw: async ({ waiter }) => {
        withdrawn.push(waiter.id);
      },
    });
    await backend.acquire({ key: "busy", ttlMs: 10_000 });
    await expect(
      createLock(backend)(() => undefined, { key: "busy", timeoutMs: 50 }),
    ).rejects.toMatchObject({ code: "AcquisitionTimeout" });
    expect(withdrawn).toHaveLength(1);
  });

  it("a permit waiter that gives up after being queued is withdrawn from the semaphore's queue", async () => {
    const withdrawn: string[] = [];
    const driver = createMemoryDriver();
    const permits = driver.permits!;
    const backend = defineBackend({
      ...driver,
      permits: {
        ...permits,
        withdraw: async ({ key, waiter }) => {
          withdrawn.push(`${key}:${waiter.id}`);
        },
      },
    });
    const held = await acquirePermit(backend, { key: "busy", permits: 1, ttlMs: 10_000 });
    await expect(
      acquirePermit(backend, { key: "busy", permits: 1, timeoutMs: 50 }),
    ).rejects.toMatchObject({ code: "AcquisitionTimeout" });
    await whenIdle(backend);
    expect(withdrawn).toEqual([expect.stringMatching(/^busy:/)]);
    await held.release();
  });
});

describe("a driver whose watch fails", () => {
  it("fails that subscription and lets the next one start over, also when it throws at once", async () => {
    const driver = createMemoryDriver();
    let failures = 1;
    const backend = defineBackend({
      ...driver,
      watch: (key, listener) => {
        if (failures-- > 0) throw new Error("no pub/sub today");
        return driver.watch!(key, listener);
      },
    });
    await expect(backend.subscribe!("k", () => undefined)).rejects.toMatchObject({
      code: "Internal",
      message: "subscribe failed: no pub/sub today",
    });
    let heard = 0;
    const stop = await backend.subscribe!("k", () => heard++);
    const held = await backend.acquire({ key: "k", ttlMs: 10_000 });
    if (!held.ok) throw new Error("setup");
    await backend.release({ lockId: held.lockId });
    await eventually(() => heard === 1);
    stop();
  });
});

describe("a reservation that lapses", () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it("wakes the oldest other waiter once the reserved one had its chance", async () => {
    let listener: ((reservedFor?: string, forMs?: number) => void) | undefined;
    const memory = createMemoryBackend();
    const backend: LockBackend = {
      ...memory,
      capabilities: memory.capabilities,
      subscribe: async (_key, onRelease) => {
        listener = onRelease;
        return () => undefined;
      },
    };
    const mine = await joinWaiters(lockSpace(backend), "k", "mine");
    if (!mine || !listener) throw new Error("setup");
    listener("crashed-elsewhere", 250);
    expect(mine.pending).toBe(false);
    await jest.advanceTimersByTimeAsync(249);
    expect(mine.pending).toBe(false);
    await jest.advanceTimersByTimeAsync(10);
    expect(mine.pending).toBe(true);
    mine.leave();
  });
});
