import {
  acquire,
  acquirePermit,
  createLock,
  forceRelease,
  getByKey,
  type LockError,
  listLocks,
  readFence,
} from "../src";
import { createMemoryBackend } from "../src/memory";
import { closestName } from "../src/option-names";
import { counting, eventually } from "./helpers";

const invalid = (pattern: RegExp) =>
  expect.objectContaining({ code: "InvalidArgument", message: expect.stringMatching(pattern) });

describe("strict options: an unknown name is refused before any I/O", () => {
  it("lock(): a misspelt name names the closest valid one", async () => {
    const { backend, calls } = counting(createMemoryBackend());
    const lock = createLock(backend);
    await expect(lock(() => "ran", { key: "k", timeout: 100 } as never)).rejects.toEqual(
      invalid(/Unknown option "timeout" in lock\(\) options; did you mean timeoutMs\?/),
    );
    await expect(lock(() => "ran", { key: "k", ttlMS: 100 } as never)).rejects.toEqual(
      invalid(/did you mean ttlMs\?/),
    );
    await expect(lock(() => "ran", { key: "k", retryDelay: 5 } as never)).rejects.toEqual(
      invalid(/did you mean retryDelayMs\?/),
    );
    expect(calls.acquire).toBe(0);
  });

  it("names the new spelling of 2.x and peer-library options", async () => {
    const { backend, calls } = counting(createMemoryBackend());
    const lock = createLock(backend);
    await expect(lock(() => "ran", { key: "k", backoff: "fixed" } as never)).rejects.toEqual(
      invalid(/"backoff".*maxRetryDelayMs equal to retryDelayMs/),
    );
    await expect(
      lock(() => "ran", { key: "k", acquisition: { backoff: "fixed" } } as never),
    ).rejects.toEqual(invalid(/"backoff" in the acquisition options/));
    await expect(lock(() => "ran", { key: "k", retryCount: 3 } as never)).rejects.toEqual(
      invalid(/use maxRetries/),
    );
    await expect(lock(() => "ran", { key: "k", disposeTimeoutMs: 1 } as never)).rejects.toEqual(
      invalid(/use releaseTimeoutMs/),
    );
    expect(calls.acquire).toBe(0);
  });

  it("an unknown name with nothing close lists the valid options", async () => {
    const lock = createLock(createMemoryBackend());
    await expect(lock(() => "ran", { key: "k", zzz: 1 } as never)).rejects.toEqual(
      invalid(/valid options: autoExtend, jitter, key, .*timeoutMs, ttlMs$/),
    );
  });

  it("acquire() and lock.ifFree() are strict too", async () => {
    const { backend, calls } = counting(createMemoryBackend());
    await expect(acquire(backend, { key: "k", tmeoutMs: 1 } as never)).rejects.toEqual(
      invalid(/Unknown option "tmeoutMs" in acquire\(\) options; did you mean timeoutMs\?/),
    );
    await expect(
      createLock(backend).ifFree(() => "ran", { key: "k", autoextend: false } as never),
    ).rejects.toEqual(invalid(/did you mean autoExtend\?/));
    expect(calls.acquire).toBe(0);
  });

  it("createLock() checks its defaults once, when the lock function is made", () => {
    const backend = createMemoryBackend();
    expect(() => createLock(backend, { timeout: 100 } as never)).toThrow(
      invalid(/Unknown option "timeout" in createLock\(\) options; did you mean timeoutMs\?/),
    );
    expect(() => createLock(backend, { key: "k" } as never)).toThrow(
      invalid(/each lock\(\) call names its own key/),
    );
    expect(() => createLock(backend, { ttlMs: -1 })).toThrow(invalid(/ttlMs/));
    expect(() => createLock(backend, null as never)).toThrow(invalid(/must be an object/));
  });

  it("a backend option given to lock() says where it belongs; a string where a number belongs is shown as a string", async () => {
    const lock = createLock(createMemoryBackend());
    await expect(lock(() => "ran", { key: "k", keyPrefix: "app" } as never)).rejects.toEqual(
      invalid(
        /"keyPrefix" in lock\(\) options: an option of the Redis backend: pass it where that backend is made \(@syncguard\/redis's createLock\(client, options\), or its createRedisBackend\); PostgreSQL names its tables with schema and tablePrefix/,
      ),
    );
    await expect(lock(() => "ran", { key: "k", tablePrefix: "app" } as never)).rejects.toEqual(
      invalid(
        /an option of the PostgreSQL backend: .*createPostgresBackend\); Redis names its keys with keyPrefix/,
      ),
    );
    await expect(lock(() => "ran", { key: "k", ttlMs: "100" } as never)).rejects.toEqual(
      invalid(/ttlMs must be .*, got the string "100"/),
    );
  });

  it("a lock function (or anything else) where a backend belongs is InvalidArgument with advice, before any I/O", async () => {
    const lock = createLock(createMemoryBackend());
    const asBackend = lock as never;
    await expect(acquire(asBackend, { key: "k" })).rejects.toEqual(
      invalid(
        /^acquire\(\) takes a backend, not a lock function: with a lock function, call lock\(fn, \{ key \}\) instead/,
      ),
    );
    await expect(acquirePermit(asBackend, { key: "k", permits: 2 })).rejects.toEqual(
      invalid(
        /^acquirePermit\(\) takes a backend, not a lock function: .*lock\.semaphore\(fn, \{ key, permits \}\)/,
      ),
    );
    await expect(getByKey(asBackend, "k")).rejects.toEqual(
      invalid(
        /^getByKey\(\) takes a backend, not a lock function: keep the backend the lock function was made on/,
      ),
    );
    await expect(listLocks(asBackend)).rejects.toEqual(invalid(/^listLocks\(\) takes a backend/));
    expect(() => createLock(asBackend)).toThrow(
      invalid(/^createLock\(\) takes a backend, not a lock function/),
    );
    await expect(acquire(undefined as never, { key: "k" })).rejects.toEqual(
      invalid(/^acquire\(\) needs a backend as its first argument .*got undefined/),
    );
  });

  it("closestName prefers a completion, then the nearest spelling, else nothing", () => {
    const names = ["ttlMs", "timeoutMs", "maxRetries", "retryDelayMs", "maxRetryDelayMs"];
    expect(closestName("timeout", names)).toBe("timeoutMs");
    expect(closestName("maxRetrys", names)).toBe("maxRetries");
    expect(closestName("maxretries", names)).toBe("maxRetries");
    expect(closestName("ttl", names)).toBe("ttlMs");
    expect(closestName("colour", names)).toBeUndefined();
  });
});

describe("lock.close()", () => {
  it("ends waits with Aborted, lets held work finish and release, then refuses new calls", async () => {
    const backend = createMemoryBackend();
    const lock = createLock(backend);
    let finishWork!: () => void;
    const working = new Promise<void>((resolve) => {
      finishWork = resolve;
    });
    let running = false;
    const holder = lock(
      () => {
        running = true;
        return working.then(() => "held work done");
      },
      { key: "k" },
    );
    await eventually(() => running);
    const waiter = lock(() => "never", { key: "k", timeoutMs: 60_000 });
    const waiterError = waiter.then(
      () => undefined,
      (error: LockError) => error,
    );

    let closed = false;
    const closing = lock.close().then(() => {
      closed = true;
    });
    const error = await waiterError;
    expect(error).toMatchObject({ code: "Aborted" });
    expect(error?.message).toMatch(/was waiting for the lock when lock\.close\(\) was called/);
    // The holder's work is not cut short: close() waits for it.
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);
    finishWork();
    await expect(holder).resolves.toBe("held work done");
    await closing;
    expect(await backend.isLocked({ key: "k" })).toBe(false);
    await expect(lock(() => "late", { key: "k" })).rejects.toMatchObject({
      code: "Aborted",
      message: expect.stringMatching(/after lock\.close\(\)/),
    });
    await expect(lock.close()).resolves.toBeUndefined(); // idempotent
  });

  it("a caller's own signal still works next to close()", async () => {
    const backend = createMemoryBackend();
    const lock = createLock(backend);
    const held = await acquire(backend, { key: "k" });
    const controller = new AbortController();
    const waiter = lock(() => "never", { key: "k", signal: controller.signal, timeoutMs: 60_000 });
    controller.abort(new Error("caller gave up"));
    await expect(waiter).rejects.toMatchObject({
      code: "Aborted",
      message: expect.not.stringMatching(/close/),
    });
    await held.release();
    await lock.close();
  });

  it("await using closes the lock function on scope exit", async () => {
    const backend = createMemoryBackend();
    let escaped: ReturnType<typeof createLock> | undefined;
    {
      await using lock = createLock(backend);
      escaped = lock;
      await lock(() => undefined, { key: "k" });
    }
    await expect(escaped(() => "late", { key: "k" })).rejects.toMatchObject({ code: "Aborted" });
  });
});

describe("strict options on the backend operations and operator calls", () => {
  it("refuses unknown names before any I/O", async () => {
    const { backend, calls } = counting(createMemoryBackend());
    const memory = createMemoryBackend();
    await expect(memory.acquire({ key: "k", ttl: 100 } as never)).rejects.toEqual(
      invalid(/Unknown option "ttl" in backend\.acquire\(\) options; did you mean ttlMs\?/),
    );
    await expect(memory.release({ lockId: "x", force: true } as never)).rejects.toEqual(
      invalid(/"force" in backend\.release\(\) options/),
    );
    await expect(memory.extend({ lockId: "x", ttlMs: 5, tllMs: 5 } as never)).rejects.toEqual(
      invalid(/did you mean ttlMs\?/),
    );
    // Two letters swapped count as one slip, even in a short name.
    await expect(memory.acquire({ key: "k", tltMs: 100 } as never)).rejects.toEqual(
      invalid(/Unknown option "tltMs" in backend\.acquire\(\) options; did you mean ttlMs\?/),
    );
    await expect(memory.isLocked({ key: "k", cleanup: true } as never)).rejects.toEqual(
      invalid(/"cleanup" in isLocked\(\) options/),
    );
    await expect(memory.lookup({ key: "k", lockID: "x" } as never)).rejects.toEqual(
      invalid(/did you mean lockId\?/),
    );
    await expect(forceRelease(backend, "k", { force: true } as never)).rejects.toEqual(
      invalid(/"force" in forceRelease\(\) options/),
    );
    await expect(listLocks(memory, { prefx: "a" } as never)).rejects.toEqual(
      invalid(/did you mean prefix\?/),
    );
    await expect(readFence(memory, "k", { singal: undefined } as never)).rejects.toEqual(
      invalid(/did you mean signal\?/),
    );
    expect(() => createMemoryBackend({ clok: () => 0 } as never)).toThrow(
      invalid(/did you mean clock\?/),
    );
    expect(() => createMemoryBackend({ ttlMs: 5 } as never)).toThrow(
      invalid(/ttlMs is a lock option: pass it to createLock\(\)/),
    );
    expect(calls.acquire + calls.release + calls.extend).toBe(0);
  });
});

describe("a memory backend on a fake clock", () => {
  it("locks with a clock that does not start at Date.now() (the lease reads the backend's clock)", async () => {
    let now = 1_000; // a test clock far from the real wall clock
    const backend = createMemoryBackend({ clock: () => now });
    const lock = createLock(backend);
    const result = await lock(
      async ({ signal, expiresAtMs }) => {
        expect(expiresAtMs).toBe(1_000 + 30_000);
        expect(signal.aborted).toBe(false);
        now += 10_000; // well inside the 30 s lease on the backend's clock
        expect(signal.aborted).toBe(false);
        return "ran";
      },
      { key: "fake-clock" },
    );
    expect(result).toBe("ran");
  });
});

describe("warnings about options that work but are likely mistakes", () => {
  it("the deprecated acquisition form and a ttlMs in the tens of milliseconds are each warned about once", async () => {
    const lines: string[] = [];
    const logger = { warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
    const lock = createLock(createMemoryBackend(), { logger });
    await lock(() => 1, { key: "a", acquisition: { timeoutMs: 1_000 } });
    await lock(() => 1, { key: "a", acquisition: { timeoutMs: 1_000 } });
    expect(
      lines.filter((line) => /acquisition: \{ \.\.\. \}. are deprecated/.test(line)),
    ).toHaveLength(1);
    await lock(() => 1, { key: "b", ttlMs: 30 });
    await lock(() => 1, { key: "b", ttlMs: 30 });
    expect(
      lines.filter((line) => /ttlMs 30 renews every 10 ms.*did you mean 30000\?/.test(line)),
    ).toHaveLength(1);
    await lock(() => 1, { key: "c", ttlMs: 30, autoExtend: false });
    expect(lines).toHaveLength(2); // no renewal, nothing to warn about
  });
});
