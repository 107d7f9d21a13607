import {
  acquire,
  createLock,
  forceRelease,
  isLockError,
  LockError,
  type LockEvent,
  type Logger,
} from "../src";
import { defineBackend, warnIfFenceNearLimit } from "../src/for-drivers";
import { createMemoryBackend, createMemoryDriver } from "../src/memory";
import { counting } from "./helpers";

/** A logger that records every line, and fails the test if console is used instead. */
function recordingLogger() {
  const lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  const logger: Logger = {
    warn: (message, fields) =>
      lines.push({ level: "warn", message, ...(fields ? { fields } : {}) }),
    error: (message, fields) =>
      lines.push({ level: "error", message, ...(fields ? { fields } : {}) }),
  };
  return { logger, lines };
}

function spyConsole() {
  return {
    warn: jest.spyOn(console, "warn").mockImplementation(() => undefined),
    error: jest.spyOn(console, "error").mockImplementation(() => undefined),
  };
}

afterEach(() => jest.restoreAllMocks());

/** A memory backend whose driver operations can be replaced, to inject backend errors. */
function faultyBackend(overrides: Partial<ReturnType<typeof createMemoryDriver>>) {
  const driver = createMemoryDriver();
  return defineBackend({ ...driver, capabilities: driver.capabilities, ...overrides });
}

describe("failed events", () => {
  it("an acquisition that times out emits failed with AcquisitionTimeout, attempts and wait", async () => {
    const backend = createMemoryBackend();
    await backend.acquire({ key: "busy", ttlMs: 10_000 });
    const events: LockEvent[] = [];
    const error = await createLock(backend)(() => "ran", {
      key: "busy",
      timeoutMs: 0,
      onEvent: (e) => events.push(e),
    }).catch((e: unknown) => e);
    expect(isLockError(error, "AcquisitionTimeout")).toBe(true);
    expect(events.map((e) => e.type)).toEqual(["contended", "failed"]);
    expect(events[1]).toEqual({
      type: "failed",
      key: "busy",
      code: "AcquisitionTimeout",
      attempts: 1,
      waitedMs: expect.any(Number),
    });
  });

  it("an aborted wait emits failed with Aborted and the attempts made", async () => {
    const backend = createMemoryBackend();
    await backend.acquire({ key: "busy", ttlMs: 10_000 });
    const controller = new AbortController();
    const events: LockEvent[] = [];
    const error = await acquire(backend, {
      key: "busy",
      signal: controller.signal,
      onEvent: (e) => {
        events.push(e);
        if (e.type === "contended") controller.abort();
      },
    }).catch((e: unknown) => e);
    expect(isLockError(error, "Aborted")).toBe(true);
    expect(events.at(-1)).toMatchObject({
      type: "failed",
      key: "busy",
      code: "Aborted",
      attempts: 1,
    });
  });

  it("a backend error at acquire emits failed with its code", async () => {
    const backend = faultyBackend({
      acquire: async () => {
        throw Object.assign(new Error("NOAUTH"), { syncguardTest: true });
      },
      toLockError: (error) => new LockError("AuthFailed", (error as Error).message) as LockError,
    });
    const events: LockEvent[] = [];
    const error = await createLock(backend)(() => "ran", {
      key: "k",
      onEvent: (e) => events.push(e),
    }).catch((e: unknown) => e);
    expect(isLockError(error, "AuthFailed")).toBe(true);
    expect(events).toEqual([
      { type: "failed", key: "k", code: "AuthFailed", attempts: 1, waitedMs: expect.any(Number) },
    ]);
  });

  it("lock.ifFree on a held key emits skipped, not failed; its own timeout is a skip too", async () => {
    const backend = createMemoryBackend();
    await backend.acquire({ key: "busy", ttlMs: 10_000 });
    const events: LockEvent[] = [];
    const lock = createLock(backend, { onEvent: (e) => events.push(e) });
    expect(await lock.ifFree(() => "ran", { key: "busy" })).toEqual({ ran: false });
    expect(events).toEqual([
      { type: "contended", key: "busy", attempt: 1, holderRemainingMs: expect.any(Number) },
      { type: "skipped", key: "busy", attempts: 1, waitedMs: expect.any(Number) },
    ]);
    events.length = 0;
    expect(await lock.ifFree(() => "ran", { key: "busy", timeoutMs: 20 })).toEqual({ ran: false });
    expect(events.at(-1)).toMatchObject({ type: "skipped" });
    expect(events.some((e) => e.type === "failed")).toBe(false);
    // The same lock function's plain call still reports a timeout as failed.
    events.length = 0;
    await expect(lock(() => "ran", { key: "busy", timeoutMs: 0 })).rejects.toMatchObject({
      code: "AcquisitionTimeout",
    });
    expect(events.at(-1)).toMatchObject({ type: "failed", code: "AcquisitionTimeout" });
  });

  it("bad input emits nothing: nothing was attempted", async () => {
    const events: LockEvent[] = [];
    const error = await createLock(createMemoryBackend())(() => "ran", {
      key: "",
      onEvent: (e) => events.push(e),
    }).catch((e: unknown) => e);
    expect(isLockError(error, "InvalidArgument")).toBe(true);
    expect(events).toEqual([]);
  });
});

describe("release-failed events", () => {
  const failingRelease = () =>
    faultyBackend({
      release: async () => {
        throw new LockError("ServiceUnavailable", "connection refused");
      },
    });

  it("lock(): a release that throws emits release-failed and still returns fn's value", async () => {
    const events: LockEvent[] = [];
    const reports: Error[] = [];
    const value = await createLock(failingRelease())(() => "value", {
      key: "k",
      onEvent: (e) => events.push(e),
      onReleaseError: (error) => reports.push(error),
    });
    expect(value).toBe("value");
    expect(events.map((e) => e.type)).toEqual(["acquired", "release-failed"]);
    expect(events[1]).toEqual({
      type: "release-failed",
      key: "k",
      code: "ServiceUnavailable",
      heldMs: expect.any(Number),
    });
    expect(isLockError(reports[0], "ServiceUnavailable")).toBe(true);
  });

  it("handle.release(): the error propagates and the event is emitted once", async () => {
    const events: LockEvent[] = [];
    const handle = await acquire(failingRelease(), { key: "k", onEvent: (e) => events.push(e) });
    await expect(handle.release()).rejects.toMatchObject({ code: "ServiceUnavailable" });
    await handle[Symbol.asyncDispose]();
    expect(events.filter((e) => e.type === "release-failed")).toHaveLength(1);
  });

  it("a release that does not answer within releaseTimeoutMs emits release-failed NetworkTimeout", async () => {
    const backend = faultyBackend({ release: () => new Promise(() => undefined) });
    const events: LockEvent[] = [];
    const value = await createLock(backend)(() => "value", {
      key: "k",
      releaseTimeoutMs: 20,
      onEvent: (e) => events.push(e),
      onReleaseError: () => undefined,
    });
    expect(value).toBe("value");
    expect(events.at(-1)).toMatchObject({ type: "release-failed", code: "NetworkTimeout" });
  });

  it("a lock already gone at release is `released ok: false` plus `lost`, not release-failed", async () => {
    const backend = createMemoryBackend();
    const events: LockEvent[] = [];
    await createLock(backend)(
      async ({ lockId }) => {
        await backend.release({ lockId });
      },
      { key: "k", onEvent: (e) => events.push(e), onReleaseError: () => undefined },
    );
    expect(events.map((e) => e.type)).toEqual(["acquired", "released", "lost"]);
    expect(events[1]).toMatchObject({ ok: false });
  });
});

describe("forced events", () => {
  it("forceRelease emits forced with the evicted fence and logs a warning, without a lockId", async () => {
    const backend = createMemoryBackend();
    const held = await backend.acquire({ key: "stuck", ttlMs: 10_000 });
    if (!held.ok) throw new Error("acquire failed");
    const events: LockEvent[] = [];
    const { logger, lines } = recordingLogger();
    const console_ = spyConsole();
    await forceRelease(backend, "stuck", { onEvent: (e) => events.push(e), logger });
    expect(events).toEqual([{ type: "forced", key: "stuck", released: true, fence: held.fence }]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: "warn", fields: { key: "stuck", fence: held.fence } });
    expect(lines[0]?.message).toMatch(/forced release/);
    expect(JSON.stringify(lines)).not.toContain(held.lockId);
    expect(console_.warn).not.toHaveBeenCalled();
  });

  it("a free key: forced with released false, and nothing logged", async () => {
    const events: LockEvent[] = [];
    const { logger, lines } = recordingLogger();
    await forceRelease(createMemoryBackend(), "free", { onEvent: (e) => events.push(e), logger });
    expect(events).toEqual([{ type: "forced", key: "free", released: false }]);
    expect(lines).toEqual([]);
  });

  it("logs to console.warn by default, or to the backend's logger", async () => {
    const console_ = spyConsole();
    const plain = createMemoryBackend();
    await plain.acquire({ key: "a", ttlMs: 10_000 });
    await forceRelease(plain, "a");
    expect(console_.warn).toHaveBeenCalledTimes(1);
    expect(String(console_.warn.mock.calls[0]?.[0])).toMatch(/forced release of lock "a"/);

    const { logger, lines } = recordingLogger();
    const withLogger = createMemoryBackend({ logger });
    await withLogger.acquire({ key: "b", ttlMs: 10_000 });
    await forceRelease(withLogger, "b");
    expect(lines).toHaveLength(1);
    expect(console_.warn).toHaveBeenCalledTimes(1);
  });

  it("refuses a bad onEvent or logger before touching the store", async () => {
    const backend = createMemoryBackend();
    await backend.acquire({ key: "k", ttlMs: 10_000 });
    for (const bad of [{ onEvent: "log" }, { logger: {} }, { logger: { warn() {} } }]) {
      const error = await forceRelease(backend, "k", bad as object).catch((e: unknown) => e);
      expect(isLockError(error, "InvalidArgument")).toBe(true);
    }
    expect(await backend.isLocked({ key: "k" })).toBe(true);
  });
});

describe("logger option", () => {
  const failingRelease = () =>
    faultyBackend({
      release: async () => {
        throw new LockError("ServiceUnavailable", "connection refused");
      },
    });

  it("by default a release failure without onReleaseError goes to console.error", async () => {
    const console_ = spyConsole();
    await createLock(failingRelease())(() => 1, { key: "k" });
    expect(console_.error).toHaveBeenCalledTimes(1);
    expect(String(console_.error.mock.calls[0]?.[0])).toMatch(/release of lock "k" failed/);
    // The console gets the message and the error (for its stack), as before the logger option.
    expect(isLockError(console_.error.mock.calls[0]?.[1], "ServiceUnavailable")).toBe(true);
  });

  it("a lock's logger receives it instead, with fields; console is not used", async () => {
    const console_ = spyConsole();
    const { logger, lines } = recordingLogger();
    await createLock(failingRelease(), { logger })(() => 1, { key: "k" });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: "error", fields: { key: "k", source: "disposal" } });
    expect(isLockError(lines[0]?.fields?.error, "ServiceUnavailable")).toBe(true);
    expect(console_.error).not.toHaveBeenCalled();
    expect(console_.warn).not.toHaveBeenCalled();
  });

  it("a backend's logger is the default of the locks taken on it; the lock's own wins", async () => {
    const console_ = spyConsole();
    const backendLog = recordingLogger();
    const driver = createMemoryDriver({ logger: backendLog.logger });
    const backend = defineBackend({
      ...driver,
      capabilities: driver.capabilities,
      release: async () => {
        throw new LockError("ServiceUnavailable", "connection refused");
      },
    });
    await createLock(backend)(() => 1, { key: "k" });
    expect(backendLog.lines).toHaveLength(1);
    const own = recordingLogger();
    await createLock(backend)(() => 1, { key: "k2", logger: own.logger });
    expect(own.lines).toHaveLength(1);
    expect(backendLog.lines).toHaveLength(1);
    expect(console_.error).not.toHaveBeenCalled();
  });

  it("a throwing logger never changes the outcome", async () => {
    const logger: Logger = {
      warn: () => {
        throw new Error("broken logger");
      },
      error: () => {
        throw new Error("broken logger");
      },
    };
    await expect(
      createLock(failingRelease(), { logger })(() => "value", { key: "k" }),
    ).resolves.toBe("value");
  });

  it("the fence-limit warning goes to the given logger", () => {
    const console_ = spyConsole();
    const { logger, lines } = recordingLogger();
    warnIfFenceNearLimit("near-limit-key", "090000000000001", logger);
    expect(lines).toEqual([
      {
        level: "warn",
        message: expect.stringMatching(/Fence counter approaching limit/),
        fields: expect.objectContaining({ key: "near-limit-key", fence: "090000000000001" }),
      },
    ]);
    expect(console_.warn).not.toHaveBeenCalled();
  });

  it("console, and loggers shaped like winston's, fit the Logger type", () => {
    const fromConsole: Logger = console;
    const winstonLike: Logger = {
      warn: (message: string, ...meta: unknown[]) => void [message, meta],
      error: (message: string, ...meta: unknown[]) => void [message, meta],
    };
    expect(typeof fromConsole.warn).toBe("function");
    expect(typeof winstonLike.error).toBe("function");
  });

  it("refuses a logger without warn and error before any I/O", async () => {
    const { backend, calls } = counting(createMemoryBackend());
    for (const logger of [{}, "console", { warn: () => undefined }]) {
      const error = await createLock(backend)(() => 1, {
        key: "k",
        logger: logger as unknown as Logger,
      }).catch((e: unknown) => e);
      expect(isLockError(error, "InvalidArgument")).toBe(true);
      expect((error as Error).message).toMatch(/logger/);
    }
    expect(() => createMemoryBackend({ logger: {} as Logger })).toThrow(/logger/);
    expect(calls.acquire).toBe(0);
  });
});
