import type { Firestore } from "@google-cloud/firestore";
import { forceRelease, type Logger } from "@syncguard/core";
import { freshBackend, useEmulatorProject } from "./helpers";

// The backend's logger on the emulator: a forced release is logged through it, never the console.
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

  // The events themselves are conformance rules (events.forced, events.outcomes); this checks
  // the backend's own logger option reaches core's default.
  it("forceRelease warns through the backend's logger, never the console", async () => {
    const { logger, lines } = recordingLogger();
    const { backend } = freshBackend(db, { logger });
    const warn = jest.spyOn(console, "warn");
    try {
      const stuck = key("stuck");
      const held = await backend.acquire({ key: stuck, ttlMs: 60_000 });
      if (!held.ok) throw new Error("setup: the key should be free");
      await forceRelease(backend, stuck);
      expect(lines.map((line) => [line.level, line.fields?.key])).toEqual([["warn", stuck]]);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
      await backend.close();
    }
  }, 30_000);
});
