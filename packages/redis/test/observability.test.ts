import { forceRelease, type Logger } from "@syncguard/core";
import { createRedisBackend, type RedisBackend } from "../src";
import { connectTarget, MODES, type Target } from "./helpers/services";

// The backend's logger on a real Redis (single node and a three-master cluster): a forced release
// is logged through it, never the console.
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

  // The events themselves are conformance rules (events.forced, events.outcomes); this checks
  // the backend's own logger option reaches core's default.
  it("forceRelease warns through the backend's logger, never the console", async () => {
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
    }
  });
});
