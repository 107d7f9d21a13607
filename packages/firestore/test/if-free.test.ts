import type { Firestore } from "@google-cloud/firestore";
import { createLock } from "@syncguard/core";
import { freshBackend, useEmulatorProject } from "./helpers";

// lock.ifFree() on the emulator: a key held by another client skips without throwing; a free one
// runs; of concurrent callers for one slot exactly one runs.
const key = (label: string) => `${label}:${Math.random().toString(36).slice(2)}`;

describe("lock.ifFree() on Firestore", () => {
  let db: Firestore;
  useEmulatorProject("if-free", (ready) => {
    db = ready;
  });

  it("runs fn on a free key and skips with { ran: false } while another client holds it", async () => {
    const { backend } = freshBackend(db);
    const lock = createLock(backend, { timeoutMs: 5_000 });
    const slot = key("report");
    await expect(lock.ifFree(() => "first", { key: slot })).resolves.toEqual({
      ran: true,
      value: "first",
    });
    const held = await backend.acquire({ key: slot, ttlMs: 60_000 });
    if (!held.ok) throw new Error("setup: the key should be free after ifFree released it");
    const fn = jest.fn(() => "ran");
    await expect(lock.ifFree(fn, { key: slot })).resolves.toEqual({ ran: false });
    expect(fn).not.toHaveBeenCalled();
    await backend.release({ lockId: held.lockId });
  }, 30_000);

  it("of concurrent callers for one slot, exactly one runs and none throws", async () => {
    const { backend } = freshBackend(db);
    const lock = createLock(backend);
    const slot = key("slot");
    let inside = 0;
    let releaseRun: () => void = () => undefined;
    const running = new Promise<void>((resolve) => (releaseRun = resolve));
    const first = lock.ifFree(
      async () => {
        inside++;
        await running; // held until the others have looked
      },
      { key: slot, ttlMs: 20_000 },
    );
    // Poll (with a deadline) until the first caller holds the key, then send the rest.
    const until = performance.now() + 10_000;
    while (!(await backend.isLocked({ key: slot }))) {
      if (performance.now() > until) throw new Error("the first caller never got the lock");
    }
    const others = await Promise.all(
      Array.from({ length: 4 }, () => lock.ifFree(() => inside++, { key: slot })),
    );
    releaseRun();
    expect(await first).toEqual({ ran: true, value: undefined });
    expect(others).toEqual(Array.from({ length: 4 }, () => ({ ran: false })));
    expect(inside).toBe(1);
  }, 30_000);
});
