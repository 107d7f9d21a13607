import { getEventListeners } from "node:events";
import { createLock, isLockError } from "../src";
import { onAbort } from "../src/abort-listeners";
import { createMemoryBackend } from "../src/memory";

describe("one application signal shared by many calls", () => {
  it("forty concurrent lock() calls on it (twenty held, twenty waiting) add at most one abort listener to any signal (Node warns from 11), and leave none", async () => {
    const lock = createLock(createMemoryBackend());
    const shutdown = new AbortController();
    // Counts the abort listeners on each signal (the application's, and every one core derives).
    const live = new Map<EventTarget, number>();
    let peak = 0;
    const add = AbortSignal.prototype.addEventListener;
    const remove = AbortSignal.prototype.removeEventListener;
    const adding = jest
      .spyOn(AbortSignal.prototype, "addEventListener")
      .mockImplementation(function (this: AbortSignal, ...args: Parameters<typeof add>) {
        if (args[0] === "abort") {
          live.set(this, (live.get(this) ?? 0) + 1);
          peak = Math.max(peak, live.get(this) ?? 0);
        }
        return add.apply(this, args);
      });
    const removing = jest
      .spyOn(AbortSignal.prototype, "removeEventListener")
      .mockImplementation(function (this: AbortSignal, ...args: Parameters<typeof remove>) {
        if (args[0] === "abort") live.set(this, (live.get(this) ?? 1) - 1);
        return remove.apply(this, args);
      });
    try {
      let running = 0;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      // Twenty held at once, and twenty waiting behind them on one key.
      const calls = Array.from({ length: 40 }, (_, i) =>
        lock(
          async () => {
            running++;
            await gate;
          },
          { key: i < 20 ? `k${i}` : "k0", signal: shutdown.signal, timeoutMs: 10_000 },
        ),
      );
      while (running < 20) await new Promise((resolve) => setImmediate(resolve));
      release();
      await Promise.all(calls);
      // Node warns of a possible leak from 11 on; one per signal is what core adds.
      expect(peak).toBe(1);
      expect(getEventListeners(shutdown.signal, "abort")).toHaveLength(0);
    } finally {
      adding.mockRestore();
      removing.mockRestore();
    }
  });

  it("an abort still reaches every waiter", async () => {
    const lock = createLock(createMemoryBackend());
    const shutdown = new AbortController();
    let held!: () => void;
    const holding = lock(() => new Promise<void>((resolve) => (held = resolve)), { key: "k" });
    let contended = 0;
    const waiters = Array.from({ length: 12 }, () =>
      lock(() => "ran", {
        key: "k",
        signal: shutdown.signal,
        timeoutMs: 10_000,
        onEvent: (event) => {
          if (event.type === "contended") contended++;
        },
      }).catch((error: unknown) => error),
    );
    while (contended < 12) await new Promise((resolve) => setImmediate(resolve));
    shutdown.abort();
    const outcomes = await Promise.all(waiters);
    expect(outcomes.every((error) => isLockError(error, "Aborted"))).toBe(true);
    held();
    await holding;
  });
});

describe("onAbort", () => {
  it("fans one listener out to each subscriber once, and unsubscribing the last removes it", () => {
    const controller = new AbortController();
    const calls: string[] = [];
    const stopA = onAbort(controller.signal, () => calls.push("a"));
    const stopB = onAbort(controller.signal, () => calls.push("b"));
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
    stopA();
    stopA(); // twice is harmless
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
    stopB();
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    const stopC = onAbort(controller.signal, () => calls.push("c"));
    onAbort(controller.signal, () => calls.push("d"));
    controller.abort();
    controller.abort();
    stopC(); // after the abort: nothing left to remove
    expect(calls).toEqual(["c", "d"]);
  });
});
