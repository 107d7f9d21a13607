import {
  assertFenceNewer,
  createLock,
  forceRelease,
  isLockError,
  type LockBackend,
  LockError,
  type LockEvent,
  listLocks,
  StaleFenceError,
} from "../src";
import type * as core from "../src/for-drivers";
import { isStaleFenceError, type WaiterInfo } from "../src/for-drivers";
import type * as memory from "../src/memory";

// Two copies of core in one process (issue 25, item 7): an app that pins another version of
// @syncguard/core than its backend's range (each gets its own copy), or a backend `require`d next
// to core `import`ed. Here the second copy is a fresh module registry of the same sources: its
// own classes and its own module state, exactly what a second install or the other build format is.
let other: typeof core;
let otherMemory: typeof memory;
jest.isolateModules(() => {
  other = require("../src/for-drivers");
  otherMemory = require("../src/memory");
});

/** A memory backend defined by the other copy, its driver wrapped to record what it is given. */
function backendOfTheOtherCopy(options: { failFirstAcquire?: boolean } = {}) {
  const driver = otherMemory.createMemoryDriver();
  const waiters: Array<WaiterInfo | undefined> = [];
  let failures = options.failFirstAcquire ? 1 : 0;
  const backend = other.defineBackend({
    ...driver,
    capabilities: driver.capabilities,
    acquire: async (input) => {
      waiters.push(input.waiter);
      if (failures-- > 0) throw new other.LockError("ServiceUnavailable", "not connected yet");
      return driver.acquire(input);
    },
  });
  return { backend, waiters };
}

describe("errors of another copy of core", () => {
  it("are LockErrors: instanceof, LockError.is and isLockError, with their code", () => {
    const foreign = new other.LockError("ServiceUnavailable", "from the other copy");
    expect(other.LockError).not.toBe(LockError); // really two classes
    expect(foreign instanceof LockError).toBe(true);
    expect(LockError.is(foreign)).toBe(true);
    expect(LockError.is(foreign, "ServiceUnavailable")).toBe(true);
    expect(LockError.is(foreign, "Internal")).toBe(false);
    expect(isLockError(foreign, "ServiceUnavailable")).toBe(true);
    // And the other way round.
    expect(new LockError("Aborted") instanceof other.LockError).toBe(true);
  });

  it("nothing else is: a plain Error with a code, a look-alike object, null", () => {
    const lookalike = Object.assign(new Error("x"), { name: "LockError", code: "Internal" });
    for (const value of [lookalike, { code: "Internal" }, null, undefined, "LockError"]) {
      expect(value instanceof LockError).toBe(false);
      expect(LockError.is(value)).toBe(false);
    }
  });

  it("a subclass of LockError keeps the ordinary instanceof", () => {
    class Special extends LockError {}
    expect(new Special("Internal") instanceof LockError).toBe(true);
    expect(new Special("Internal") instanceof Special).toBe(true);
    expect(new LockError("Internal") instanceof Special).toBe(false);
  });

  it("StaleFenceError is recognised across copies too", () => {
    const caught = (() => {
      try {
        other.assertFenceNewer("000000000000001", "000000000000002");
      } catch (error) {
        return error;
      }
    })();
    expect(caught instanceof StaleFenceError).toBe(true);
    expect(isStaleFenceError(caught)).toBe(true);
    expect(() => assertFenceNewer("000000000000002", "000000000000001")).not.toThrow();
  });
});

describe("a backend defined by another copy of core", () => {
  it("lock() retries a one-off ServiceUnavailable it raises (not an Internal error)", async () => {
    const { backend } = backendOfTheOtherCopy({ failFirstAcquire: true });
    const events: LockEvent[] = [];
    const value = await createLock(backend)(() => "ran", {
      key: "k",
      retryDelayMs: 5,
      onEvent: (event) => events.push(event),
    });
    expect(value).toBe("ran");
    expect(events.find((e) => e.type === "acquired")).toMatchObject({ attempts: 2 });
  });

  it("forceRelease and listLocks reach its driver", async () => {
    const { backend } = backendOfTheOtherCopy();
    const held = await backend.acquire({ key: "stuck", ttlMs: 60_000 });
    if (!held.ok) throw new Error("setup");
    const page = await listLocks(backend);
    expect(page.locks.map((lock) => lock.key)).toEqual(["stuck"]);
    const forced = await forceRelease(backend, "stuck", { logger: { warn() {}, error() {} } });
    expect(forced).toMatchObject({ released: true, fence: held.fence });
    expect(await backend.isLocked({ key: "stuck" })).toBe(false);
  });

  it("lock() waits in its queue: every attempt carries the waiter, and a release wakes it", async () => {
    const { backend, waiters } = backendOfTheOtherCopy();
    const held = await backend.acquire({ key: "q", ttlMs: 60_000 });
    if (!held.ok) throw new Error("setup");
    waiters.length = 0;
    const started = performance.now();
    const waiting = createLock(backend)(() => performance.now() - started, {
      key: "q",
      retryDelayMs: 10_000, // only a wake-up gets it the lock in time
      maxRetryDelayMs: 10_000,
    });
    await new Promise((resolve) => setImmediate(resolve));
    await backend.release({ lockId: held.lockId });
    await expect(waiting).resolves.toBeLessThan(5_000);
    expect(waiters.length).toBeGreaterThanOrEqual(2);
    for (const waiter of waiters) expect(waiter?.id).toEqual(expect.any(String));
  });

  it("a wrapper made by spreading it uses its own methods, not the carried view", async () => {
    const { backend } = backendOfTheOtherCopy();
    let acquires = 0;
    const wrapped: LockBackend = {
      ...backend,
      capabilities: backend.capabilities,
      acquire: (options) => {
        acquires++;
        return backend.acquire(options);
      },
    };
    expect(await createLock(wrapped)(() => "ran", { key: "w" })).toBe("ran");
    expect(acquires).toBe(1);
  });
});
