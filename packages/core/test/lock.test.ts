import { acquire, createLock, isLockError, LockError, type LockEvent } from "../src";
import { defineBackend } from "../src/define-backend";
import { defaultDeps } from "../src/handle";
import { createLockWith } from "../src/lock";
import { createMemoryBackend, createMemoryDriver } from "../src/memory";
import { counting, eventually, tick } from "./helpers";

describe("lock() on the memory backend", () => {
  it("gives 50 concurrent callers mutual exclusion: a read-modify-write counter ends exact", async () => {
    const backend = createMemoryBackend();
    const lock = createLock(backend);
    let counter = 0;
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 50 }, () =>
        lock(
          async () => {
            inside++;
            maxInside = Math.max(maxInside, inside);
            const read = counter;
            await tick();
            await tick();
            counter = read + 1;
            inside--;
          },
          { key: "counter", timeoutMs: 20_000 },
        ),
      ),
    );
    expect(counter).toBe(50);
    expect(maxInside).toBe(1);
    expect(await backend.isLocked({ key: "counter" })).toBe(false);
  });

  it("returns fn's value and passes a context with the lock's fence", async () => {
    const backend = createMemoryBackend();
    const lock = createLock(backend);
    const seen = await lock(
      async (ctx) => {
        const info = await backend.lookup({ key: "k" });
        return {
          fence: ctx.fence,
          infoFence: info?.fence,
          aborted: ctx.signal.aborted,
          key: ctx.key,
        };
      },
      { key: "k" },
    );
    expect(seen.fence).toMatch(/^\d{15}$/);
    expect(seen.infoFence).toBe(seen.fence);
    expect(seen.aborted).toBe(false);
    expect(seen.key).toBe("k");
  });

  it("accepts fn written without parameters", async () => {
    const lock = createLock(createMemoryBackend());
    await expect(lock(() => 42, { key: "k" })).resolves.toBe(42);
  });

  it("propagates fn's error and still releases", async () => {
    const backend = createMemoryBackend();
    const lock = createLock(backend);
    const boom = new Error("boom");
    await expect(lock(async () => Promise.reject(boom), { key: "k" })).rejects.toBe(boom);
    await expect(
      lock(
        () => {
          throw boom;
        },
        { key: "k" },
      ),
    ).rejects.toBe(boom);
    expect(await backend.isLocked({ key: "k" })).toBe(false);
  });

  it("throws AcquisitionTimeout with attempts, wait and holder facts (never its lockId)", async () => {
    const backend = createMemoryBackend();
    const held = await backend.acquire({ key: "k", ttlMs: 10_000 });
    const lock = createLock(backend);
    const started = Date.now();
    const error = await lock(() => "never", { key: "k", timeoutMs: 150, retryDelayMs: 10 }).catch(
      (e) => e,
    );
    expect(isLockError(error, "AcquisitionTimeout")).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
    const { details } = error as LockError;
    expect(details?.attempts).toBeGreaterThan(1);
    expect(details?.waitedMs).toBeGreaterThanOrEqual(150);
    expect(details?.holder?.fence).toBe(held.ok ? held.fence : undefined);
    expect(details?.holder?.remainingMs).toBeGreaterThan(9000);
    expect((error as Error).message).toMatch(/attempts/);
    // The message names the key, so a log line alone says which lock was busy.
    expect((error as Error).message).toMatch(/^Failed to acquire lock "k" after/);
    expect(JSON.stringify(details) + (error as Error).message).not.toContain(
      held.ok ? held.lockId : "-",
    );
  });

  it("stops at maxRetries when it comes before the timeout", async () => {
    const memory = createMemoryBackend();
    await memory.acquire({ key: "k", ttlMs: 10_000 });
    const { backend, calls } = counting(memory);
    const lock = createLock(backend);
    await expect(lock(() => 1, { key: "k", maxRetries: 0 })).rejects.toMatchObject({
      code: "AcquisitionTimeout",
    });
    expect(calls.acquire).toBe(1);
    calls.acquire = 0;
    await expect(
      lock(() => 1, { key: "k", maxRetries: 3, retryDelayMs: 1, timeoutMs: 10_000 }),
    ).rejects.toMatchObject({ code: "AcquisitionTimeout", details: { attempts: 4 } });
    expect(calls.acquire).toBe(4);
  });

  it("stops at timeoutMs when it comes before maxRetries", async () => {
    const memory = createMemoryBackend();
    await memory.acquire({ key: "k", ttlMs: 10_000 });
    const { backend, calls } = counting(memory);
    const lock = createLock(backend);
    await expect(
      lock(() => 1, {
        key: "k",
        maxRetries: 1000,
        retryDelayMs: 20,
        maxRetryDelayMs: 20,
        timeoutMs: 100,
      }),
    ).rejects.toMatchObject({ code: "AcquisitionTimeout" });
    expect(calls.acquire).toBeLessThan(20);
  });

  it("wakes a waiter on release instead of sleeping out its retry delay", async () => {
    const backend = createMemoryBackend();
    const held = await backend.acquire({ key: "k", ttlMs: 10_000 });
    if (!held.ok) throw new Error("setup");
    const lock = createLock(backend);
    const waiting = lock(() => Date.now(), { key: "k", retryDelayMs: 5000, maxRetryDelayMs: 5000 });
    await eventually(async () => true);
    await new Promise((r) => setTimeout(r, 30));
    const releasedAt = Date.now();
    await backend.release({ lockId: held.lockId });
    const ranAt = await waiting;
    expect(ranAt - releasedAt).toBeLessThan(1000);
  });

  it("aborting a wait rejects promptly with Aborted and leaves nothing held", async () => {
    const backend = createMemoryBackend();
    const held = await backend.acquire({ key: "k", ttlMs: 10_000 });
    if (!held.ok) throw new Error("setup");
    const lock = createLock(backend);
    const controller = new AbortController();
    const waiting = lock(() => "ran", { key: "k", signal: controller.signal, retryDelayMs: 1000 });
    await new Promise((r) => setTimeout(r, 20));
    const abortedAt = Date.now();
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: "Aborted" });
    expect(Date.now() - abortedAt).toBeLessThan(100);
    await backend.release({ lockId: held.lockId });
    expect(await backend.isLocked({ key: "k" })).toBe(false);
  });

  it("a pre-aborted signal fails before any I/O", async () => {
    const { backend, calls } = counting(createMemoryBackend());
    const controller = new AbortController();
    controller.abort();
    await expect(
      createLock(backend)(() => 1, { key: "k", signal: controller.signal }),
    ).rejects.toMatchObject({
      code: "Aborted",
    });
    expect(calls.acquire).toBe(0);
  });

  it("rejects bad options before any I/O", async () => {
    const { backend, calls } = counting(createMemoryBackend());
    const lock = createLock(backend);
    for (const bad of [{ key: "" }, { key: "k", ttlMs: 0 }, { key: "k", timeoutMs: -1 }]) {
      await expect(lock(() => 1, bad)).rejects.toMatchObject({ code: "InvalidArgument" });
    }
    await expect(lock("nope" as never, { key: "k" })).rejects.toMatchObject({
      code: "InvalidArgument",
    });
    expect(calls.acquire).toBe(0);
  });

  it("retries transient backend errors within the budget", async () => {
    const memory = createMemoryBackend();
    let failures = 2;
    const flaky = {
      ...memory,
      capabilities: memory.capabilities,
      acquire: async (o: Parameters<typeof memory.acquire>[0]) => {
        if (failures-- > 0) throw new LockError("ServiceUnavailable", "down for a moment");
        return memory.acquire(o);
      },
    };
    await expect(createLock(flaky)(() => "ok", { key: "k", retryDelayMs: 1 })).resolves.toBe("ok");
  });

  it("throws the last transient error when the budget runs out", async () => {
    const memory = createMemoryBackend();
    const down = {
      ...memory,
      acquire: async () => {
        throw new LockError("ServiceUnavailable", "down", { cause: new Error("ECONNREFUSED") });
      },
    };
    await expect(
      createLock(down)(() => 1, { key: "k", retryDelayMs: 1, maxRetries: 2 }),
    ).rejects.toMatchObject({ code: "ServiceUnavailable" });
  });

  it("wraps a non-LockError from the backend as Internal with its cause", async () => {
    const memory = createMemoryBackend();
    const cause = new TypeError("bug");
    const broken = { ...memory, acquire: async () => Promise.reject(cause) };
    const error = await createLock(broken)(() => 1, { key: "k" }).catch((e) => e);
    expect(error).toMatchObject({ code: "Internal" });
    expect((error as Error).cause).toBe(cause);
  });

  it("reports a failed release to onReleaseError and still returns fn's value", async () => {
    const memory = createMemoryBackend();
    const failure = new LockError("ServiceUnavailable", "release failed");
    const broken = { ...memory, release: async () => Promise.reject(failure) };
    const reports: unknown[] = [];
    const value = await createLock(broken)(() => "value", {
      key: "k",
      onReleaseError: (error, context) => reports.push([error, context.source]),
    });
    expect(value).toBe("value");
    expect(reports).toEqual([[failure, "disposal"]]);
  });

  it("bounds a hanging release and reports it as NetworkTimeout", async () => {
    const memory = createMemoryBackend();
    const hanging = { ...memory, release: () => new Promise<never>(() => undefined) };
    const reports: LockError[] = [];
    const value = await createLock(hanging)(() => "value", {
      key: "k",
      releaseTimeoutMs: 50,
      onReleaseError: (error) => reports.push(error as LockError),
    });
    expect(value).toBe("value");
    expect(reports[0]?.code).toBe("NetworkTimeout");
  });

  it("emits observability events", async () => {
    const events: LockEvent["type"][] = [];
    const lock = createLock(createMemoryBackend(), { onEvent: (e) => events.push(e.type) });
    await lock(() => 1, { key: "k" });
    expect(events).toEqual(["acquired", "released"]);
  });
});

describe("auto-extend and lock loss", () => {
  it("keeps a lock alive past its TTL while fn runs", async () => {
    const backend = createMemoryBackend();
    const lock = createLock(backend);
    const competitor = createLock(backend);
    const result = await lock(
      async (ctx) => {
        const until = Date.now() + 900;
        let intrusions = 0;
        while (Date.now() < until) {
          const r = await backend.acquire({ key: "k", ttlMs: 1000 });
          if (r.ok) intrusions++;
          await new Promise((res) => setTimeout(res, 50));
        }
        await expect(competitor(() => 1, { key: "k", maxRetries: 0 })).rejects.toMatchObject({
          code: "AcquisitionTimeout",
        });
        return { intrusions, aborted: ctx.signal.aborted };
      },
      { key: "k", ttlMs: 300, autoExtend: true },
    );
    expect(result).toEqual({ intrusions: 0, aborted: false });
  });

  it("aborts ctx.signal with LockLost when the lock is deleted behind the holder's back", async () => {
    const backend = createMemoryBackend();
    const lock = createLock(backend);
    let reason: unknown;
    const outcome = lock(
      async (ctx) => {
        await backend.release({ lockId: ctx.lockId }); // someone else's cleanup
        const deletedAt = Date.now();
        await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
        reason = ctx.signal.reason;
        return Date.now() - deletedAt;
      },
      { key: "k", ttlMs: 600, autoExtend: true },
    );
    await expect(outcome).rejects.toMatchObject({ code: "LockLost" });
    expect(reason).toBeInstanceOf(LockError);
    expect((reason as LockError).code).toBe("LockLost");
  });

  it("aborts before the lease runs out when renewals stop succeeding", async () => {
    const memory = createMemoryBackend();
    const unreachable = {
      ...memory,
      extend: async () => {
        throw new LockError("ServiceUnavailable", "unreachable");
      },
    };
    const lock = createLock(unreachable);
    let margin = Number.NaN;
    await expect(
      lock(
        async (ctx) => {
          const expiresAt = ctx.expiresAtMs;
          await new Promise<void>((resolve) =>
            ctx.signal.addEventListener("abort", () => resolve()),
          );
          margin = expiresAt - Date.now();
        },
        { key: "k", ttlMs: 400, autoExtend: true },
      ),
    ).rejects.toMatchObject({ code: "LockLost" });
    expect(margin).toBeGreaterThan(0);
  });

  it("work that outlives its lease is reported as LockLost even if it never read the signal", async () => {
    const backend = createMemoryBackend();
    const late = createLock(backend)(
      () => new Promise((resolve) => setTimeout(() => resolve("late"), 300)),
      { key: "k", ttlMs: 200, autoExtend: false },
    );
    await expect(late).rejects.toMatchObject({ code: "LockLost" });
    // The message says why: nothing renewed the lease, and which option would have.
    await expect(late).rejects.toThrow(/autoExtend is off/);
  });

  it("renews by default: work that outlives ttlMs keeps its lock and nobody else gets it", async () => {
    const backend = createMemoryBackend();
    const lock = createLock(backend);
    const events: string[] = [];
    const value = await lock(
      async ({ signal }) => {
        await new Promise((resolve) => setTimeout(resolve, 450));
        expect(signal.aborted).toBe(false);
        expect(await backend.isLocked({ key: "long" })).toBe(true);
        return "done";
      },
      { key: "long", ttlMs: 150, onEvent: (e) => events.push(e.type) },
    );
    expect(value).toBe("done");
    expect(events).toContain("extended");
    expect(events).not.toContain("lost");
  });

  it("acquire() handles stay manual: no renewal unless asked for", async () => {
    const backend = createMemoryBackend();
    const events: string[] = [];
    const handle = await acquire(backend, {
      key: "manual",
      ttlMs: 100,
      onEvent: (e) => events.push(e.type),
    });
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(events).not.toContain("extended");
    const stored = await backend.lookup({ key: "manual" });
    expect(stored?.expiresAtMs).toBe(handle.expiresAtMs);
    await handle.release();
  });

  it("a signal first read after the safe deadline is already aborted (no timer has run yet)", async () => {
    let now = Date.now();
    const lock = createLockWith(createMemoryBackend(), {}, { ...defaultDeps, now: () => now });
    let aborted: boolean | undefined;
    await expect(
      lock(
        (ctx) => {
          now += 1_000; // a stall past the 500 ms lease, with no chance for timers to run
          aborted = ctx.signal.aborted;
        },
        { key: "k", ttlMs: 500 },
      ),
    ).rejects.toMatchObject({ code: "LockLost" });
    expect(aborted).toBe(true);
  });

  it("a signal read late is already aborted if the lock was lost", async () => {
    const backend = createMemoryBackend();
    await expect(
      createLock(backend)(
        async (ctx) => {
          await backend.release({ lockId: ctx.lockId });
          await ctx.extend(); // reports the loss before anyone looked at the signal
          expect(ctx.signal.aborted).toBe(true);
          expect((ctx.signal.reason as LockError).code).toBe("LockLost");
        },
        { key: "k" },
      ),
    ).rejects.toMatchObject({ code: "LockLost" });
  });

  it("fn's own error wins over LockLost", async () => {
    const backend = createMemoryBackend();
    const boom = new Error("boom");
    await expect(
      createLock(backend)(
        async (ctx) => {
          await backend.release({ lockId: ctx.lockId });
          await ctx.extend();
          throw boom;
        },
        { key: "k" },
      ),
    ).rejects.toBe(boom);
  });

  it("ctx.extend replaces the expiry and reports loss", async () => {
    const backend = createMemoryBackend();
    await expect(
      createLock(backend)(
        async (ctx) => {
          const before = ctx.expiresAtMs;
          const r = await ctx.extend(60_000);
          expect(r.ok).toBe(true);
          expect(ctx.expiresAtMs).toBeGreaterThan(before);
          await backend.release({ lockId: ctx.lockId });
          expect((await ctx.extend()).ok).toBe(false);
          expect(ctx.signal.aborted).toBe(true);
        },
        { key: "k", ttlMs: 1000 },
      ),
    ).rejects.toMatchObject({ code: "LockLost" });
  });
});

describe("acquire() handle", () => {
  it("releases at scope exit with await using, also on throw", async () => {
    const backend = createMemoryBackend();
    {
      await using handle = await acquire(backend, { key: "k", ttlMs: 5000 });
      expect(handle.fence).toMatch(/^\d{15}$/);
      expect(await backend.isLocked({ key: "k" })).toBe(true);
    }
    expect(await backend.isLocked({ key: "k" })).toBe(false);
    await expect(
      (async () => {
        await using _handle = await acquire(backend, { key: "k" });
        throw new Error("inside");
      })(),
    ).rejects.toThrow("inside");
    expect(await backend.isLocked({ key: "k" })).toBe(false);
  });

  it("release is once: the second call resolves ok:false without I/O", async () => {
    const { backend, calls } = counting(createMemoryBackend());
    const handle = await acquire(backend, { key: "k" });
    expect(await handle.release()).toMatchObject({ ok: true });
    expect(await handle.release()).toEqual({ ok: false });
    await handle[Symbol.asyncDispose]();
    expect(calls.release).toBe(1);
  });
});

const later = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A memory backend with a network's timings: a release takes a round trip and notifications
 * arrive a few ms later. `reportsContended`: release says waiters were told (as Redis's publish
 * count does); otherwise it says nothing (as Firestore's).
 */
function networkedBackend(reportsContended: boolean) {
  const driver = createMemoryDriver();
  return defineBackend({
    ...driver,
    release: async (input) => {
      await later(5);
      const done = await driver.release(input);
      return reportsContended ? { ...done, contended: true } : done;
    },
    watch: (key, listener) => driver.watch!(key, () => void later(5).then(() => listener())),
  });
}

describe("fair handoff", () => {
  it("a releaser that re-acquires at once yields to a waiting caller", async () => {
    const backend = networkedBackend(true);
    const memory = backend;
    const lockA = createLock(backend);
    const order: string[] = [];
    let releaseA!: () => void;
    const first = lockA(
      () =>
        new Promise<void>((resolve) => {
          releaseA = resolve;
        }),
      { key: "k" },
    );
    await eventually(async () => memory.isLocked({ key: "k" }));
    const waiter = createLock(backend)(() => order.push("waiter"), {
      key: "k",
      retryDelayMs: 5000,
    });
    await later(20);
    releaseA();
    await first;
    await lockA(() => order.push("releaser"), { key: "k" });
    await waiter;
    expect(order).toEqual(["waiter", "releaser"]);
  });
});

describe("fair handoff without backend hints", () => {
  it("a releaser yields to a caller waiting in its own process, though the backend says nothing", async () => {
    const backend = networkedBackend(false);
    const lock = createLock(backend);
    const order: string[] = [];
    let releaseFirst!: () => void;
    const first = lock(() => new Promise<void>((resolve) => (releaseFirst = resolve)), {
      key: "k",
    });
    await eventually(async () => backend.isLocked({ key: "k" }));
    const waiter = lock(() => order.push("waiter"), { key: "k", retryDelayMs: 5_000 });
    await new Promise((r) => setTimeout(r, 20)); // the waiter is queued and subscribed
    releaseFirst();
    await first;
    await lock(() => order.push("releaser"), { key: "k" });
    await waiter;
    expect(order).toEqual(["waiter", "releaser"]);
  });
});

describe("process lifetime", () => {
  it("a process waiting in lock() stays alive until the wait ends", () => {
    const { execFileSync } = require("node:child_process") as typeof import("node:child_process");
    const { join } = require("node:path") as typeof import("node:path");
    const out = execFileSync(
      process.execPath,
      [join(__dirname, "fixtures", "wait-keeps-process-alive.js")],
      {
        encoding: "utf8",
        timeout: 20_000,
      },
    );
    expect(out.trim()).toBe("ran");
  });
});

describe("a lock() nested on the key its own work holds", () => {
  it("times out with a message saying locks are not re-entrant; an unrelated timeout does not say so", async () => {
    const backend = createMemoryBackend();
    const lock = createLock(backend);
    const nested = await lock(
      () => lock(() => "inner", { key: "outer", timeoutMs: 100 }).catch((e: unknown) => e),
      { key: "outer" },
    );
    expect(isLockError(nested, "AcquisitionTimeout")).toBe(true);
    expect((nested as Error).message).toMatch(/This process holds the key itself.*not re-entrant/);

    const elsewhere = await backend.acquire({ key: "other", ttlMs: 10_000 });
    const plain = await lock(() => "never", { key: "other", timeoutMs: 100 }).catch((e) => e);
    expect(isLockError(plain, "AcquisitionTimeout")).toBe(true);
    expect((plain as Error).message).not.toMatch(/re-entrant/);
    if (elsewhere.ok) await backend.release({ lockId: elsewhere.lockId });
    // Released: the key is no longer held here.
    const after = await lock(() => "ok", { key: "outer" });
    expect(after).toBe("ok");
  });
});

describe("ctx.release()", () => {
  it("is typed and releases before the work ends; lock() does not release again", async () => {
    const backend = createMemoryBackend();
    const lock = createLock(backend);
    const events: string[] = [];
    const value = await lock(
      async (ctx) => {
        expect(await ctx.release()).toEqual({ ok: true });
        expect(await backend.isLocked({ key: "early" })).toBe(false);
        expect(await ctx.release()).toEqual({ ok: false });
        return "after";
      },
      { key: "early", onEvent: (e) => events.push(e.type) },
    );
    expect(value).toBe("after");
    expect(events.filter((type) => type === "released")).toHaveLength(1);
    expect(events).not.toContain("lost");
  });
});
