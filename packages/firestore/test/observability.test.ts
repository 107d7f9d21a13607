import type { Firestore } from "@google-cloud/firestore";
import { createLock, forceRelease, type LockEvent, type Logger } from "@syncguard/core";
import { freshBackend, useEmulatorProject } from "./helpers";

// Events and the backend's logger on the emulator: a forced release is evented and logged through
// the backend's logger (never console), and the evicted holder sees the loss as events too.
const key = (label: string) => `${label}:${Math.random().toString(36).slice(2)}`;

describe("observability on Firestore", () => {
  let db: Firestore;
  useEmulatorProject("observe", (ready) => {
    db = ready;
  });

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

  it("forceRelease emits forced with the evicted fence and warns through the backend's logger", async () => {
    const { logger, lines } = recordingLogger();
    const { backend } = freshBackend(db, { logger });
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
      await backend.close();
    }
  }, 30_000);

  it("the evicted lock() holder reports acquired, then lost and a release that found nothing", async () => {
    const { logger } = recordingLogger();
    const { backend } = freshBackend(db, { logger });
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
    await backend.close();
  }, 30_000);
});
