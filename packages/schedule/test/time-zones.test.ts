/**
 * A job scheduled in a time zone or at a UTC offset other than the machine's: the tick finds its
 * slot in the job's own zone. cron (kelektiv) fires `0 0 * * *` with `timeZone: "Asia/Tokyo"` at
 * Tokyo's midnight; a slot searched in the machine's zone finds no scheduled time near that
 * moment, and the job would never run. Only Date is faked here (frozen at each trigger's moment);
 * timers and the monotonic clock are real.
 */
import { createLock, type LockFunction } from "@syncguard/core";
import { createMemoryBackend } from "@syncguard/core/memory";
import { CronJob } from "cron";
import { Cron } from "croner";
import { runOnce, type ScheduledRun } from "../src";
import { recorder, uniqueName } from "./helpers";

const at = (iso: string) =>
  jest
    .useFakeTimers({
      doNotFake: [
        "setTimeout",
        "clearTimeout",
        "setInterval",
        "clearInterval",
        "setImmediate",
        "clearImmediate",
        "nextTick",
        "queueMicrotask",
        "performance",
        "hrtime",
      ],
    })
    .setSystemTime(new Date(iso));
afterEach(() => jest.useRealTimers());

// Midnight in Tokyo (UTC+9), and at UTC+05:30, neither of them midnight in the machine's zone.
const TOKYO_MIDNIGHT = "2030-01-01T15:00:00.000Z";
const PLUS_0530_MIDNIGHT = "2030-01-01T18:30:00.000Z";
const zone = process.env.TZ;
beforeAll(() => {
  // A machine whose own zone is UTC+9 or UTC+05:30 would not tell the zones apart.
  expect(new Date(TOKYO_MIDNIGHT).getHours()).not.toBe(0);
  expect(new Date(PLUS_0530_MIDNIGHT).getHours()).not.toBe(0);
  expect(zone ?? "").not.toMatch(/Tokyo|Kolkata/);
});

async function slotOfTrigger(
  triggerAt: string,
  tick: (run: ScheduledRun) => void,
  fire: (
    job: (run: ScheduledRun) => void,
    lock: LockFunction,
    onEvent: ReturnType<typeof recorder>["onEvent"],
  ) => Promise<void>,
) {
  const lock = createLock(createMemoryBackend());
  const seen = recorder();
  at(triggerAt);
  await fire(tick, lock, seen.onEvent);
  jest.useRealTimers();
  await lock.close();
  return seen;
}

const options = (onEvent: ReturnType<typeof recorder>["onEvent"]) => ({
  name: uniqueName("zoned"),
  ttlMs: 1_000,
  lateAfterMs: 500,
  onEvent,
});

it("cron with timeZone: the slot is the job's midnight in that zone", async () => {
  const slots: string[] = [];
  const seen = await slotOfTrigger(
    "2030-01-01T15:00:00.300Z",
    (run) => {
      slots.push(run.slot.toISOString());
    },
    async (job, lock, onEvent) => {
      const cronJob = CronJob.from({
        cronTime: "0 0 * * *",
        timeZone: "Asia/Tokyo",
        onTick: () => {},
      });
      // What cron does when it fires: the job's onTick with the job as `this`.
      await (runOnce(lock, options(onEvent), job) as (this: unknown) => Promise<void>).call(
        cronJob,
      );
    },
  );
  expect(seen.of("late")).toEqual([]);
  expect(slots).toEqual([TOKYO_MIDNIGHT]);
});

it("cron with utcOffset: the slot is the job's midnight at that offset", async () => {
  const slots: string[] = [];
  const seen = await slotOfTrigger(
    "2030-01-01T18:30:00.300Z",
    (run) => {
      slots.push(run.slot.toISOString());
    },
    async (job, lock, onEvent) => {
      const cronJob = CronJob.from({
        cronTime: "0 0 * * *",
        utcOffset: 330,
        onTick: () => {},
      });
      await (runOnce(lock, options(onEvent), job) as (this: unknown) => Promise<void>).call(
        cronJob,
      );
    },
  );
  expect(seen.of("late")).toEqual([]);
  expect(slots).toEqual([PLUS_0530_MIDNIGHT]);
});

it("croner with timezone: the slot is the job's midnight in that zone", async () => {
  const slots: string[] = [];
  const seen = await slotOfTrigger(
    "2030-01-01T15:00:00.300Z",
    (run) => {
      slots.push(run.slot.toISOString());
    },
    async (job, lock, onEvent) => {
      const cronerJob = new Cron("0 0 * * *", { timezone: "Asia/Tokyo", paused: true });
      // croner passes the job to its callback.
      await runOnce(lock, options(onEvent), job)(cronerJob);
      cronerJob.stop();
    },
  );
  expect(seen.of("late")).toEqual([]);
  expect(slots).toEqual([TOKYO_MIDNIGHT]);
});
