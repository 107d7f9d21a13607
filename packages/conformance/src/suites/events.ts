import assert from "node:assert/strict";
import { createLock, forceRelease, type LockEvent, type Logger } from "@syncguard/core";
import { asLockBackend, mustAcquire, type SuiteContext } from "../context";
import { rejectsWithCode, uniqueKey } from "../helpers";

/**
 * What a backend's operations look like to observers (issue 17): the events core emits over this
 * backend, and the forced-release report. Everything recorded also goes to the leak watch.
 */
export function eventsSuite(ctx: SuiteContext): void {
  const backend = () => asLockBackend(ctx.backend);

  /** Events and log lines recorded here and handed on to the leak watch. */
  const recorder = () => {
    const events: LockEvent[] = [];
    const lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
    const logger: Logger = {
      warn: (message, fields) => {
        lines.push({ level: "warn", message, ...(fields ? { fields } : {}) });
        ctx.watch.logger.warn(message, fields);
      },
      error: (message, fields) => {
        lines.push({ level: "error", message, ...(fields ? { fields } : {}) });
        ctx.watch.logger.error(message, fields);
      },
    };
    const onEvent = (event: LockEvent) => {
      events.push(event);
      ctx.watch.noteEvent(event);
    };
    return { events, lines, logger, onEvent };
  };

  ctx.test(
    "events.forced",
    "forceRelease reports itself: a forced event with the evicted fence and one warn line naming the key, no lockId; a free key reports released false",
    async () => {
      const key = uniqueKey("events-forced");
      const held = await mustAcquire(ctx.backend, key, ctx.ms(30_000));
      const { events, lines, logger, onEvent } = recorder();
      await forceRelease(backend(), key, { onEvent, logger });
      await forceRelease(backend(), key, { onEvent, logger });
      assert.deepEqual(events, [
        { type: "forced", key, released: true, ...(ctx.fencing ? { fence: held.fence } : {}) },
        { type: "forced", key, released: false },
      ]);
      assert.equal(lines.length, 1, "one log line for the one lock deleted");
      assert.equal(lines[0]?.level, "warn");
      assert.match(lines[0]?.message ?? "", /forced release/);
      assert.equal(lines[0]?.fields?.key, key);
      assert.ok(!JSON.stringify({ events, lines }).includes(held.lockId), "a lockId was reported");
    },
  );

  ctx.test(
    "events.outcomes",
    "lock() reports outcomes: an evicted holder sees acquired, extended (not ok), lost, released (not ok); a timed-out wait emits failed",
    async () => {
      const { events, onEvent } = recorder();
      const lock = createLock(backend(), { onEvent, onReleaseError: () => undefined });
      const evicted = uniqueKey("events-evicted");
      await rejectsWithCode(
        () =>
          lock(
            async (context) => {
              await forceRelease(backend(), evicted, ctx.watch.observers);
              assert.deepEqual(await context.extend(), { ok: false });
            },
            { key: evicted },
          ),
        "LockLost",
        "an evicted lock()",
      );
      assert.deepEqual(
        events.map((event) => event.type),
        ["acquired", "extended", "lost", "released"],
      );
      assert.deepEqual(events[2], { type: "lost", key: evicted, reason: "not-held" });

      events.length = 0;
      const busy = uniqueKey("events-busy");
      const holder = await mustAcquire(ctx.backend, busy, ctx.ms(30_000));
      await rejectsWithCode(
        () => lock(() => "ran", { key: busy, timeoutMs: 0 }),
        "AcquisitionTimeout",
        "lock() on a held key with timeoutMs 0",
      );
      assert.deepEqual(
        { ...events.at(-1), waitedMs: 0 },
        { type: "failed", key: busy, code: "AcquisitionTimeout", attempts: 1, waitedMs: 0 },
      );
      assert.equal((await ctx.backend.release({ lockId: holder.lockId })).ok, true);
    },
  );
}
