import { type AcquireResult, createLock, isLockError, type LockBackend, whenIdle } from "../src";
import { type AcquireOptions, defineBackend } from "../src/for-drivers";
import { createMemoryBackend, createMemoryDriver } from "../src/memory";
import { eventually, tick } from "./helpers";

describe("whenIdle", () => {
  it("resolves true at once when nothing runs in the background", async () => {
    await expect(whenIdle(createMemoryBackend())).resolves.toBe(true);
  });

  it("waits for the release of an attempt abandoned in flight, and says false while it is pending", async () => {
    const inner = createMemoryBackend();
    const answers: Array<() => void> = [];
    // acquire answers only when the test says so: a server that froze mid-attempt.
    const backend: LockBackend = {
      ...inner,
      capabilities: inner.capabilities,
      acquire: (options: AcquireOptions) =>
        new Promise<AcquireResult>((resolve, reject) => {
          answers.push(
            () => void inner.acquire({ ...options, signal: undefined }).then(resolve, reject),
          );
        }),
    };
    const controller = new AbortController();
    const call = createLock(backend)(() => "ran", { key: "k", signal: controller.signal });
    await eventually(() => answers.length === 1);
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: "Aborted" });
    await expect(whenIdle(backend, { timeoutMs: 20 })).resolves.toBe(false);
    const idle = whenIdle(backend, { timeoutMs: 5_000 });
    answers[0]?.(); // the attempt lands and takes the lock; core gives it back
    await expect(idle).resolves.toBe(true);
    expect(await inner.isLocked({ key: "k" })).toBe(false);
  });

  it("waits for a lingering wake-up subscription to end", async () => {
    const driver = createMemoryDriver();
    let watching = 0;
    const backend = defineBackend({
      ...driver,
      capabilities: driver.capabilities,
      watchLingerMs: 50,
      watch: async (key, listener) => {
        const stop = await driver.watch!(key, listener);
        watching++;
        return () => {
          watching--;
          stop();
        };
      },
    });
    const holder = await backend.acquire({ key: "k", ttlMs: 10_000 });
    if (!holder.ok) throw new Error("setup");
    const waiting = createLock(backend)(() => "ran", { key: "k", retryDelayMs: 5_000 });
    await eventually(() => watching === 1);
    await backend.release({ lockId: holder.lockId });
    await waiting;
    await tick();
    expect(watching).toBe(1); // kept for the next waiter
    await expect(whenIdle(backend)).resolves.toBe(true);
    expect(watching).toBe(0);
  });

  it("rejects a bad timeout with InvalidArgument and an aborted signal with Aborted", async () => {
    const backend = createMemoryBackend();
    for (const timeoutMs of [-1, Number.NaN, "10"]) {
      const error = await whenIdle(backend, { timeoutMs: timeoutMs as number }).catch((e) => e);
      expect(isLockError(error, "InvalidArgument")).toBe(true);
      expect((error as Error).message).toMatch(/timeoutMs/);
    }
    await expect(whenIdle(backend, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: "Aborted",
    });
  });
});
