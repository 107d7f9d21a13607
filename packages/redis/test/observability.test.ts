import { createLock, forceRelease, type LockEvent, type Logger } from "@syncguard/core";
import { createRedisBackend, type RedisBackend } from "../src";
import { connectTarget, MODES, type Target } from "./helpers/services";

// Events and the backend's logger on a real Redis (single node and a three-master cluster): a
// forced release is evented and logged through the backend's logger (never console), and the
// evicted holder sees the loss as events too.
const key = (label: string) => `${label}:${Math.random().toString(36).slice(2)}`;

describe.each(MODES)("observability on Redis %s", (mode) => {
  let target: Target;
  let backend: RedisBackend;
  const lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  const logger: Logger = {
    warn: (message, fields) =>
      lines.push({ level: "warn", message, ...(fields ? { fields } : {}) }),
    error: (message, fields) =>
      lines.push({ level: "error", message, ...(fields ? { fields } : {}) }),
  };
  beforeAll(async () => {
    target = await connectTarget(mode);
    backend = createRedisBackend(target.backendClient, {
      keyPrefix: `observe-${process.pid}`,
      logger,
    });
  });
  afterAll(async () => {
    await backend?.close();
    await target?.close();
  });
  beforeEach(() => {
    lines.length = 0;
  });

  it("forceRelease emits forced with the evicted fence and warns through the backend's logger", async () => {
    const warn = jest.spyOn(console, "warn");
    try {
      const stuck = key("stuck");
      const held = await backend.acquire({ key: stuck, ttlMs: 60_000 });
      if (!held.ok) throw new Error("setup: the key should be free");
      const events: LockEvent[] = [];
      await forceRelease(backend, stuck, { onEvent: (e) => events.push(e) });
      await forceRelease(backend, stuck, { onEvent: (e) => events.push(e) });
      expect(events).toEqual([
        { type: "forced", key: stuck, released: true, fence: held.fence },
        { type: "forced", key: stuck, released: false },
      ]);
      expect(lines).toEqual([
        {
          level: "warn",
          message: expect.stringMatching(/forced release/),
          fields: expect.objectContaining({ key: stuck, fence: held.fence }),
        },
      ]);
      expect(JSON.stringify(lines)).not.toContain(held.lockId);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it("the evicted lock() holder reports acquired, then lost and a release that found nothing", async () => {
    const stuck = key("holder");
    const events: LockEvent[] = [];
    const lock = createLock(backend, {
      onEvent: (e) => events.push(e),
      onReleaseError: () => undefined,
    });
    await expect(
      lock(
        async (ctx) => {
          await forceRelease(backend, stuck);
          expect(await ctx.extend()).toEqual({ ok: false });
        },
        { key: stuck },
      ),
    ).rejects.toMatchObject({ code: "LockLost" });
    expect(events.map((e) => e.type)).toEqual(["acquired", "extended", "lost", "released"]);
    expect(events[2]).toEqual({ type: "lost", key: stuck, reason: "not-held" });
  });

  it("an acquisition that times out behind a holder emits failed", async () => {
    const busy = key("busy");
    const held = await backend.acquire({ key: busy, ttlMs: 60_000 });
    const events: LockEvent[] = [];
    await expect(
      createLock(backend)(() => "ran", { key: busy, timeoutMs: 0, onEvent: (e) => events.push(e) }),
    ).rejects.toMatchObject({ code: "AcquisitionTimeout" });
    expect(events.at(-1)).toMatchObject({
      type: "failed",
      key: busy,
      code: "AcquisitionTimeout",
      attempts: 1,
    });
    if (held.ok) await backend.release({ lockId: held.lockId });
  });
});
