import { createLock, type LockBackend } from "../src";
import { defineBackend, type Unsubscribe } from "../src/for-drivers";
import { createMemoryBackend, createMemoryDriver } from "../src/memory";
import { eventually, tick } from "./helpers";

// Work core does after a caller moved on (issue 25, item 6) may meet a client its owner closed
// meanwhile. Whatever the backend's callbacks do then, nothing may escape as an unhandled
// rejection or an uncaught exception (jest fails the test that sees one: jest.base.js).

/** A waiter woken by a release, so the key's subscription is dropped once it is done. */
async function wakeOneWaiter(backend: LockBackend) {
  const holder = await backend.acquire({ key: "k", ttlMs: 10_000 });
  if (!holder.ok) throw new Error("setup");
  const waiting = createLock(backend)(() => "ran", {
    key: "k",
    retryDelayMs: 5_000,
    maxRetryDelayMs: 5_000,
  });
  await tick();
  await backend.release({ lockId: holder.lockId });
  expect(await waiting).toBe("ran");
}

describe("background work never escapes", () => {
  it("an unsubscribe that rejects (the client was closed) is not an unhandled rejection", async () => {
    const memory = createMemoryBackend();
    let unsubscribed = false;
    const backend: LockBackend = {
      ...memory,
      capabilities: memory.capabilities,
      subscribe: async (key, listener) => {
        const stop = await memory.subscribe!(key, listener);
        return (() => {
          stop();
          unsubscribed = true;
          return Promise.reject(new Error("The client is closed"));
        }) as Unsubscribe;
      },
    };
    await wakeOneWaiter(backend);
    // A rejection is reported once the microtasks of its turn have run: before the next poll.
    await eventually(() => unsubscribed);
  });

  it("a driver whose watch stop throws when a lingering watch ends does not throw from the timer", async () => {
    const driver = createMemoryDriver();
    let stopped = false;
    const backend = defineBackend({
      ...driver,
      capabilities: driver.capabilities,
      watchLingerMs: 20,
      watch: async (key, listener) => {
        await driver.watch!(key, listener);
        return () => {
          stopped = true;
          throw new Error("The client is closed");
        };
      },
    });
    await wakeOneWaiter(backend);
    await eventually(() => stopped);
  });

  it("a subscribe that throws at once only costs promptness: lock() polls and wins", async () => {
    const memory = createMemoryBackend();
    let tried = false;
    const backend: LockBackend = {
      ...memory,
      capabilities: memory.capabilities,
      subscribe: () => {
        tried = true;
        throw new Error("The client is closed");
      },
    };
    const holder = await memory.acquire({ key: "k", ttlMs: 10_000 });
    if (!holder.ok) throw new Error("setup");
    const waiting = createLock(backend)(() => "ran", { key: "k", retryDelayMs: 20 });
    await eventually(() => tried);
    await memory.release({ lockId: holder.lockId });
    await expect(waiting).resolves.toBe("ran");
  });
});
