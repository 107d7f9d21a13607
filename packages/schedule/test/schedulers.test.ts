/**
 * The real schedulers, every second, in one process: node-cron 4 through the run coordinator,
 * croner and cron through runOnce ticks. Six instances (two of each) schedule the same job on
 * one store: each slot runs once, and every adapter keys it by the same scheduled second.
 */
import type { LockFunction } from "@syncguard/core";
import { createLock } from "@syncguard/core";
import { createMemoryBackend } from "@syncguard/core/memory";
import { CronJob } from "cron";
import { Cron } from "croner";
import cron from "node-cron";
import { createRunCoordinator, runOnce, type ScheduledRun, type ScheduleEvent } from "../src";
import { recorder, uniqueName } from "./helpers";

const LATE = 500;

it("node-cron, croner and cron instances of one job run each slot once, keyed by the scheduled second", async () => {
  const backend = createMemoryBackend();
  const name = uniqueName("mixed");
  const seen = recorder();
  const runs: { by: string; slot: number; fence: string }[] = [];
  const job = (by: string) => (run: ScheduledRun) => {
    runs.push({ by, slot: run.slot.getTime(), fence: run.fence });
  };
  const locks: LockFunction[] = [];
  const lockFor = () => {
    const lock = createLock(backend);
    locks.push(lock);
    return lock;
  };
  const options = { name, ttlMs: 2_000, lateAfterMs: LATE, onEvent: seen.onEvent };
  const stops: (() => unknown)[] = [];
  for (const by of ["node-cron 1", "node-cron 2"]) {
    const coordinator = createRunCoordinator(lockFor(), {
      lateAfterMs: LATE,
      onEvent: seen.onEvent,
    });
    const task = cron.schedule("* * * * * *", coordinator.task(job(by)), {
      name,
      distributed: true,
      runCoordinator: coordinator,
      distributedLease: 2_000,
    });
    stops.push(() => task.destroy());
  }
  for (const by of ["croner 1", "croner 2"]) {
    const task = new Cron("* * * * * *", runOnce(lockFor(), options, job(by)));
    stops.push(() => task.stop());
  }
  for (const by of ["cron 1", "cron 2"]) {
    const task = CronJob.from({
      cronTime: "* * * * * *",
      onTick: runOnce(lockFor(), options, job(by)),
      start: true,
    });
    stops.push(() => task.stop());
  }
  // Three full slots: wait until six instances have had their say on three slots.
  const decided = (e: ScheduleEvent) => e.type === "ran" || e.type === "skipped";
  const slotsDecided = () => {
    const counts = new Map<number, number>();
    for (const e of seen.events.filter(decided)) {
      const slot = (e as { slot: Date }).slot.getTime();
      counts.set(slot, (counts.get(slot) ?? 0) + 1);
    }
    return [...counts.values()].filter((n) => n === 6).length;
  };
  const deadline = performance.now() + 10_000;
  while (slotsDecided() < 3 && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const stop of stops) stop();
  await Promise.all(locks.map((lock) => lock.close()));

  expect(seen.of("failed")).toEqual([]);
  const bySlot = new Map<number, string[]>();
  for (const run of runs) bySlot.set(run.slot, [...(bySlot.get(run.slot) ?? []), run.by]);
  const complete = [...bySlot.keys()].filter(
    (slot) =>
      seen.events.filter((e) => decided(e) && (e as { slot: Date }).slot.getTime() === slot)
        .length === 6,
  );
  expect(complete.length).toBeGreaterThanOrEqual(3);
  for (const [slot, by] of bySlot) {
    expect({ slot, runs: by.length }).toEqual({ slot, runs: 1 });
    expect(slot % 1000).toBe(0);
  }
  // Fences rise from slot to slot (the job's own lock).
  const ordered = [...runs].sort((a, b) => a.slot - b.slot);
  for (let i = 1; i < ordered.length; i++) {
    expect(BigInt(ordered[i]!.fence)).toBeGreaterThan(BigInt(ordered[i - 1]!.fence));
  }
});

it("croner: the last run of maxRuns (no next run left) still finds its slot", async () => {
  const [lock] = [createLock(createMemoryBackend())];
  const slots: number[] = [];
  const seen = recorder();
  const done = new Promise<void>((resolve) => {
    const onEvent = (event: ScheduleEvent) => {
      seen.onEvent(event);
      if (event.type === "late") resolve();
    };
    new Cron(
      "* * * * * *",
      { maxRuns: 1 },
      runOnce(
        lock,
        { name: uniqueName("max-runs"), ttlMs: 2_000, lateAfterMs: LATE, onEvent },
        (run) => {
          slots.push(run.slot.getTime());
          resolve();
        },
      ),
    );
  });
  await done;
  await lock.close();
  expect(slots).toHaveLength(1);
  expect(slots[0]! % 1000).toBe(0);
  expect(seen.of("late")).toEqual([]);
});

it("a tick that cannot tell its slot (cron with a context, or called bare) rejects with InvalidArgument", async () => {
  const lock = createLock(createMemoryBackend());
  const tick = runOnce(lock, { name: uniqueName("bare"), ttlMs: 2_000 }, () => {});
  await expect(tick()).rejects.toMatchObject({
    name: "LockError",
    code: "InvalidArgument",
    message: expect.stringContaining("cannot tell which slot fired"),
  });
  await expect(tick.call({ some: "context" }, () => {})).rejects.toMatchObject({
    code: "InvalidArgument",
  });
  await lock.close();
});

it("node-cron: coordinator.task() refuses an execution the coordinator did not let through (task.execute())", async () => {
  const lock = createLock(createMemoryBackend());
  const coordinator = createRunCoordinator(lock);
  let ran = 0;
  const task = cron.createTask(
    "0 0 1 1 *",
    coordinator.task(() => {
      ran++;
    }),
    {
      name: uniqueName("manual"),
      distributed: true,
      runCoordinator: coordinator,
      logger: { info() {}, warn() {}, error() {}, debug() {} },
    },
  );
  await expect(task.execute()).rejects.toMatchObject({
    code: "InvalidArgument",
    message: expect.stringContaining("not coordinated"),
  });
  expect(ran).toBe(0);
  await task.destroy();
  await lock.close();
});

it("node-cron: a key that is not <name>:<ISO slot>, or a bad lease, is refused before any I/O", async () => {
  const lock = createLock(createMemoryBackend());
  const coordinator = createRunCoordinator(lock);
  await expect(coordinator.shouldRun("no-slot-here", 30_000)).rejects.toMatchObject({
    code: "InvalidArgument",
  });
  await expect(coordinator.shouldRun("job:2030-01-01T00:00:00.000Z", 0)).rejects.toMatchObject({
    code: "InvalidArgument",
    message: expect.stringContaining("distributedLease"),
  });
  await lock.close();
});
