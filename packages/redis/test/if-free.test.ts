import { createLock, isLockError, type LockFunction } from "@syncguard/core";
import { createClient } from "redis";
import { createRedisBackend, type RedisBackend } from "../src";
import { MODES, useBackend } from "./helpers/services";

// lock.ifFree() on a real Redis (single node and a three-master cluster): a key held by another
// client skips without throwing, a free one runs, and an outage still throws.
const key = (label: string) => `${label}:${Math.random().toString(36).slice(2)}`;

describe.each(MODES)("lock.ifFree() on Redis %s", (mode) => {
  let backend: RedisBackend;
  let lock: LockFunction;
  useBackend(mode, `if-free-${process.pid}`, (_target, ready) => {
    backend = ready;
    lock = createLock(ready, { timeoutMs: 5_000 });
  });

  it("runs fn on a free key, skips with { ran: false } while another client holds it", async () => {
    const slot = key("report");
    await expect(lock.ifFree(({ fence }) => fence, { key: slot })).resolves.toMatchObject({
      ran: true,
      value: expect.any(String),
    });
    const held = await backend.acquire({ key: slot, ttlMs: 60_000 });
    if (!held.ok) throw new Error("setup: the key should be free after ifFree released it");
    const fn = jest.fn(() => "ran");
    const startedAt = performance.now();
    await expect(lock.ifFree(fn, { key: slot })).resolves.toEqual({ ran: false });
    // One look, although this lock function waits up to 5 s by default.
    expect(performance.now() - startedAt).toBeLessThan(1_000);
    expect(fn).not.toHaveBeenCalled();
    await backend.release({ lockId: held.lockId });
    await expect(lock.ifFree(() => "after", { key: slot })).resolves.toEqual({
      ran: true,
      value: "after",
    });
  });

  it("of many concurrent callers for one slot, exactly one runs and none throws", async () => {
    const slot = key("slot");
    let inside = 0;
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        lock.ifFree(
          async () => {
            inside++;
            // Hold until every other caller has looked, so all of them meet a held key.
            await new Promise((resolve) => setTimeout(resolve, 300));
            return i;
          },
          { key: slot, ttlMs: 10_000 },
        ),
      ),
    );
    expect(outcomes.filter((o) => o.ran)).toHaveLength(1);
    expect(inside).toBe(1);
  });

  it("maxHoldMs ends an auto-extending holder on this deployment", async () => {
    const hung = key("hung");
    let reason: unknown;
    const outcome = await lock(
      async ({ signal }) => {
        await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
        reason = signal.reason;
      },
      { key: hung, ttlMs: 600, autoExtend: true, maxHoldMs: 1_500 },
    ).catch((error: unknown) => error);
    expect(isLockError(outcome, "LockLost")).toBe(true);
    expect(isLockError(reason, "LockLost")).toBe(true);
    expect(await backend.isLocked({ key: hung })).toBe(false);
  });
});

describe("lock.ifFree() when Redis is unreachable", () => {
  it("throws the backend error instead of reporting a skip", async () => {
    // A port nothing listens on: the client never connects.
    const client = createClient({
      url: "redis://127.0.0.1:1",
      socket: { reconnectStrategy: false },
    });
    client.on("error", () => undefined);
    const down = createRedisBackend(client);
    const outcome = await createLock(down)
      .ifFree(() => "ran", { key: key("down") })
      .catch((error: unknown) => error);
    expect(isLockError(outcome)).toBe(true);
    expect((outcome as { code: string }).code).not.toBe("AcquisitionTimeout");
    await down.close();
  });
});
