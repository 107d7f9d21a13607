/**
 * Two instances of one Nest application (Nest's testing module, the real @nestjs/schedule) share
 * one redis-server: a @Cron("* * * * * *") method and an @Interval(1000) method with @RunOnce()
 * run once per slot, whichever instance's timer fires first.
 */
import "reflect-metadata";
import { Inject, Injectable } from "@nestjs/common";
import { Cron, Interval, ScheduleModule } from "@nestjs/schedule";
import { Test } from "@nestjs/testing";
import { createLock } from "@syncguard/redis";
import { createClient } from "redis";
import { RunOnce, type ScheduledRun, type ScheduleEvent, SyncGuardModule } from "../src";
import { slotsDecidedByAll, uniqueName, waitFor } from "./helpers";

const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL) {
  throw new Error(
    "REDIS_URL is not set: run `node scripts/services.mjs run --redis -- pnpm --filter @syncguard/nestjs test`",
  );
}

interface Run {
  instance: string;
  slot: number;
  fence: string;
}
const INSTANCE = "INSTANCE";
const runs: { cron: Run[]; interval: Run[] } = { cron: [], interval: [] };
const events: { cron: ScheduleEvent[]; interval: ScheduleEvent[] } = { cron: [], interval: [] };
const cronKey = uniqueName("nest-cron");

@Injectable()
class CronJobs {
  @Inject(INSTANCE) readonly instance!: string;

  // The usual order: @RunOnce() below @Cron().
  @Cron("* * * * * *")
  @RunOnce({ key: cronKey, ttlMs: 5_000, lateAfterMs: 500, onEvent: (e) => events.cron.push(e) })
  async everySecond(run: ScheduledRun): Promise<void> {
    runs.cron.push({ instance: this.instance, slot: run.slot.getTime(), fence: run.fence });
  }
}

@Injectable()
class IntervalJobs {
  @Inject(INSTANCE) readonly instance!: string;

  // The other order works too; the key defaults to <class>.<method>.
  @RunOnce({ ttlMs: 5_000, onEvent: (e) => events.interval.push(e) })
  @Interval(1_000)
  async everyInterval(run: ScheduledRun): Promise<void> {
    runs.interval.push({ instance: this.instance, slot: run.slot.getTime(), fence: run.fence });
  }
}

async function startInstance(instance: string, provider: typeof CronJobs | typeof IntervalJobs) {
  const client = await createClient({ url: REDIS_URL }).connect();
  const moduleRef = await Test.createTestingModule({
    imports: [
      ScheduleModule.forRoot(),
      SyncGuardModule.forRoot({ lock: createLock(client, { keyPrefix: cronKey }) }),
    ],
    providers: [provider, { provide: INSTANCE, useValue: instance }],
  }).compile();
  // An application context (no HTTP server): init() runs the lifecycle hooks that bind
  // @RunOnce() methods and start @nestjs/schedule's timers.
  await moduleRef.init();
  return {
    close: async () => {
      await moduleRef.close(); // stops the timers, then closes the lock function (held claims end)
      await client.close();
    },
  };
}

function checkOncePerSlot(all: Run[], slotMs: number) {
  const perSlot = new Map<number, string[]>();
  for (const run of all) perSlot.set(run.slot, [...(perSlot.get(run.slot) ?? []), run.instance]);
  for (const [slot, by] of perSlot) {
    expect({ slot, runs: by.length }).toEqual({ slot, runs: 1 });
    expect(slot % slotMs).toBe(0);
  }
  const ordered = [...all].sort((a, b) => a.slot - b.slot);
  for (let i = 1; i < ordered.length; i++) {
    expect(BigInt(ordered[i]!.fence)).toBeGreaterThan(BigInt(ordered[i - 1]!.fence));
  }
}

it("@Cron('* * * * * *') with @RunOnce: two app instances run each second once", async () => {
  const instances = [await startInstance("a", CronJobs), await startInstance("b", CronJobs)];
  await waitFor(() => slotsDecidedByAll(events.cron, 2).length >= 4, 15_000);
  for (const instance of instances) await instance.close();

  expect(events.cron.filter((e) => e.type === "failed")).toEqual([]);
  const decided = slotsDecidedByAll(events.cron, 2);
  expect(decided.length).toBeGreaterThanOrEqual(4);
  // Every slot both instances decided ran exactly once.
  for (const slot of decided) expect(runs.cron.filter((r) => r.slot === slot)).toHaveLength(1);
  checkOncePerSlot(runs.cron, 1_000);
});

it("@Interval(1000) with @RunOnce: two app instances run each 1 s window once", async () => {
  const instances = [
    await startInstance("a", IntervalJobs),
    await startInstance("b", IntervalJobs),
  ];
  await waitFor(() => slotsDecidedByAll(events.interval, 2).length >= 3, 15_000);
  for (const instance of instances) await instance.close();

  expect(events.interval.filter((e) => e.type === "failed")).toEqual([]);
  expect(slotsDecidedByAll(events.interval, 2).length).toBeGreaterThanOrEqual(3);
  checkOncePerSlot(runs.interval, 1_000);
  // Runs carry the default key, <class>.<method>.
  expect(events.interval[0]).toMatchObject({ name: "IntervalJobs.everyInterval" });
});
