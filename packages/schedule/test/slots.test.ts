/**
 * What one slot does, with ticks called by hand at the slot's time on two lock functions over one
 * memory backend (two instances sharing a store): one run per slot, the claim held past the run,
 * late triggers, overlap skip and queue, failures, the fence and signal handed to the job.
 */
import type { LockFunction } from "@syncguard/core";
import { runOnce, type ScheduledRun } from "../src";
import { recorder, sleep, twoInstances, uniqueName, until } from "./helpers";

// Slots here are any instant, not whole seconds (a tick called with its scheduled time), 300 ms
// apart, with lateAfterMs 200: each claim is held 1.2 s past its slot. Every lock function is
// closed at the end, together, so those holds overlap instead of adding up.
const LATE = 200;
const all: LockFunction[] = [];
let instances: [LockFunction, LockFunction];
beforeEach(() => {
  instances = twoInstances();
  all.push(...instances);
});
afterAll(async () => {
  await Promise.all(all.map((lock) => lock.close()));
});

it("two instances triggering the same slot run it once, with the scheduled slot, a fence and a live signal", async () => {
  const [a, b] = instances;
  const name = uniqueName("once");
  const seen = recorder();
  const runs: { by: string; run: ScheduledRun; aborted: boolean }[] = [];
  const job = (by: string) => (run: ScheduledRun) => {
    runs.push({ by, run, aborted: run.signal.aborted });
  };
  const options = { name, ttlMs: 2_000, lateAfterMs: LATE, onEvent: seen.onEvent };
  const slot = Date.now();
  await Promise.all([
    runOnce(a, options, job("a"))(new Date(slot)),
    runOnce(b, options, job("b"))(new Date(slot)),
  ]);
  expect(runs).toHaveLength(1);
  expect(runs[0]!.run.slot.getTime()).toBe(slot);
  expect(runs[0]!.run.name).toBe(name);
  expect(runs[0]!.run.fence).toMatch(/^\d{15}$/);
  expect(runs[0]!.aborted).toBe(false);
  expect(seen.events.map((e) => e.type).sort()).toEqual(["ran", "skipped"]);
  expect(seen.of("ran")[0]).toEqual({
    type: "ran",
    name,
    slot: new Date(slot),
    fence: runs[0]!.run.fence,
  });
});

it("the slot stays claimed after its run: a later trigger within lateAfterMs is skipped, one past it is late", async () => {
  const [a, b] = instances;
  const name = uniqueName("hold");
  const seen = recorder();
  let runs = 0;
  const options = { name, ttlMs: 2_000, lateAfterMs: LATE, onEvent: seen.onEvent };
  const slot = Date.now();
  await runOnce(a, options, () => {
    runs++;
  })(new Date(slot));
  // The run is over, the trigger of an instance whose clock is behind arrives: still claimed.
  await until(slot + LATE - 50);
  await runOnce(b, options, () => {
    runs++;
  })(new Date(slot));
  await until(slot + LATE + 10);
  await runOnce(b, options, () => {
    runs++;
  })(new Date(slot));
  expect(runs).toBe(1);
  expect(seen.events.map((e) => e.type)).toEqual(["ran", "skipped", "late"]);
  expect(seen.of("late")[0]).toMatchObject({ name, slot: new Date(slot) });
});

it("a claim acquired only after lateAfterMs (a pause between the check and the claim) does not run", async () => {
  const [a] = instances;
  const name = uniqueName("slow-claim");
  const seen = recorder();
  // The lock function answers the claim 400 ms late, as after a long pause of this process.
  const slow = Object.assign(
    <T>(fn: Parameters<LockFunction>[0], o: Parameters<LockFunction>[1]) => a<T>(fn as never, o),
    {
      ifFree: async (...args: Parameters<LockFunction["ifFree"]>) => {
        await sleep(400);
        return a.ifFree(...args);
      },
      close: () => a.close(),
      [Symbol.asyncDispose]: () => a.close(),
    },
  ) as unknown as LockFunction;
  let runs = 0;
  const slot = Date.now();
  await runOnce(slow, { name, ttlMs: 2_000, lateAfterMs: LATE, onEvent: seen.onEvent }, () => {
    runs++;
  })(new Date(slot));
  expect(runs).toBe(0);
  expect(seen.events.map((e) => e.type)).toEqual(["late"]);
});

it('overlap "skip": a slot whose previous run still works is missed, reported once, by its claimant', async () => {
  const [a, b] = instances;
  const name = uniqueName("skip");
  const seen = recorder();
  const ran: number[] = [];
  const options = { name, ttlMs: 2_000, lateAfterMs: LATE, onEvent: seen.onEvent };
  const job = async (run: ScheduledRun) => {
    ran.push(run.slot.getTime());
    if (ran.length === 1) await sleep(600); // longer than the interval
  };
  const slot = Date.now();
  const first = runOnce(a, options, job)(new Date(slot));
  await until(slot + 300);
  await Promise.all([
    runOnce(a, options, job)(new Date(slot + 300)),
    runOnce(b, options, job)(new Date(slot + 300)),
  ]);
  await first;
  expect(ran).toEqual([slot]);
  expect(seen.of("missed")).toEqual([
    { type: "missed", name, slot: new Date(slot + 300), reason: "overlap" },
  ]);
  expect(seen.of("skipped").map((e) => e.slot.getTime())).toEqual([slot + 300]);
});

it('overlap "queue": the next slot waits for the previous run, then runs with a higher fence', async () => {
  const [a, b] = instances;
  const name = uniqueName("queue");
  const seen = recorder();
  const runs: { slot: number; fence: string; start: number; end: number }[] = [];
  const options = {
    name,
    ttlMs: 2_000,
    lateAfterMs: LATE,
    overlap: "queue" as const,
    onEvent: seen.onEvent,
  };
  const job = async (run: ScheduledRun) => {
    const start = performance.now();
    if (runs.length === 0) await sleep(600);
    runs.push({ slot: run.slot.getTime(), fence: run.fence, start, end: performance.now() });
  };
  const slot = Date.now();
  const first = runOnce(a, options, job)(new Date(slot));
  await until(slot + 300);
  await runOnce(b, options, job)(new Date(slot + 300));
  await first;
  expect(runs.map((r) => r.slot)).toEqual([slot, slot + 300]);
  expect(runs[1]!.start).toBeGreaterThanOrEqual(runs[0]!.end);
  expect(BigInt(runs[1]!.fence)).toBeGreaterThan(BigInt(runs[0]!.fence));
  expect(seen.of("missed")).toEqual([]);
});

it('overlap "queue" past maxWaitMs: the slot is missed (wait-timeout)', async () => {
  const [a, b] = instances;
  const name = uniqueName("queue-timeout");
  const seen = recorder();
  const ran: number[] = [];
  const options = {
    name,
    ttlMs: 2_000,
    overlap: "queue" as const,
    maxWaitMs: 200,
    onEvent: seen.onEvent,
  };
  const job = async (run: ScheduledRun) => {
    ran.push(run.slot.getTime());
    if (ran.length === 1) await sleep(800);
  };
  const slot = Date.now();
  const first = runOnce(a, options, job)(new Date(slot));
  await until(slot + 300);
  await runOnce(b, options, job)(new Date(slot + 300));
  await first;
  expect(ran).toEqual([slot]);
  expect(seen.of("missed")).toEqual([
    { type: "missed", name, slot: new Date(slot + 300), reason: "wait-timeout" },
  ]);
});

it("a job that throws: the tick resolves, failed is reported with its error, and the slot is not run again", async () => {
  const [a, b] = instances;
  const name = uniqueName("throws");
  const seen = recorder();
  const boom = new Error("job failed");
  let runs = 0;
  const options = { name, ttlMs: 2_000, lateAfterMs: LATE, onEvent: seen.onEvent };
  const slot = Date.now();
  await expect(
    runOnce(a, options, () => {
      runs++;
      throw boom;
    })(new Date(slot)),
  ).resolves.toBeUndefined();
  await runOnce(b, options, () => {
    runs++;
  })(new Date(slot));
  expect(runs).toBe(1);
  expect(seen.of("failed")).toEqual([{ type: "failed", name, slot: new Date(slot), error: boom }]);
  expect(seen.of("skipped")).toHaveLength(1);
});
