/**
 * Two instances of one Nest application share one redis-server, with the real @nestjs/schedule:
 * - a @Cron("* * * * * *") method with @RunOnce(), each instance in its own process, their clocks
 *   400 ms ahead and 400 ms behind (800 ms apart, inside the 1 s tolerance);
 * - an @Interval(1000) method with @RunOnce(), both instances in this process (Nest's testing
 *   module), decorators in the other order.
 * Each slot runs once, whichever instance's timer fires first.
 */
import "reflect-metadata";
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
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
const keyPrefix = uniqueName("nest");
const runs: Run[] = [];
const events: ScheduleEvent[] = [];

@Injectable()
class IntervalJobs {
  @Inject(INSTANCE) readonly instance!: string;

  // The other order works too; the key defaults to <class>.<method>.
  @RunOnce({ ttlMs: 5_000, onEvent: (e) => events.push(e) })
  @Interval(1_000)
  async everyInterval(run: ScheduledRun): Promise<void> {
    runs.push({ instance: this.instance, slot: run.slot.getTime(), fence: run.fence });
  }
}

async function startInstance(instance: string) {
  const client = await createClient({ url: REDIS_URL }).connect();
  const moduleRef = await Test.createTestingModule({
    imports: [
      ScheduleModule.forRoot(),
      SyncGuardModule.forRoot({ lock: createLock(client, { keyPrefix }) }),
    ],
    providers: [IntervalJobs, { provide: INSTANCE, useValue: instance }],
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

interface Line {
  w: string;
  type: string;
  slot?: number;
  fence?: string;
  event?: string;
  error?: string;
}

function startProcess(instance: string, skewMs: number, key: string, lines: Line[]): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      "--require",
      require.resolve("../../schedule/test/fixtures/skew-clock.cjs"),
      path.join(__dirname, "fixtures/nest-instance.cjs"),
    ],
    {
      env: { ...process.env, SG_INSTANCE: instance, SG_SKEW_MS: String(skewMs), SG_KEY: key },
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  let buffered = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split("\n");
    buffered = parts.pop() ?? "";
    for (const part of parts) if (part.startsWith("{")) lines.push(JSON.parse(part) as Line);
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // "close", not "exit": a child's last output can arrive after its exit event.
  child.on("close", (code, signal) => {
    lines.push({
      w: instance,
      type: "exit",
      event: `${code ?? signal}`,
      error: stderr.slice(-2000),
    });
  });
  return child;
}

it("@Cron('* * * * * *') with @RunOnce: two app processes, clocks 800 ms apart, run each second once", async () => {
  const lines: Line[] = [];
  const key = uniqueName("nest-cron");
  const children = [startProcess("a", 400, key, lines), startProcess("b", -400, key, lines)];
  const decidedByBoth = () => {
    const counts = new Map<number, number>();
    for (const l of lines) {
      if (l.type === "event" && (l.event === "ran" || l.event === "skipped")) {
        counts.set(l.slot!, (counts.get(l.slot!) ?? 0) + 1);
      }
    }
    return [...counts].filter(([, n]) => n === 2).map(([slot]) => slot);
  };
  const exited = () => lines.some((l) => l.type === "exit" || l.type === "error");
  await waitFor(() => decidedByBoth().length >= 4 || exited(), 25_000);
  for (const child of children) child.stdin!.write("stop\n");
  await waitFor(() => lines.filter((l) => l.type === "exit").length === 2, 15_000);
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");

  expect(
    lines.filter((l) => l.type === "error" || (l.type === "event" && l.event === "failed")),
  ).toEqual([]);
  expect(lines.filter((l) => l.type === "exit").map((l) => l.event)).toEqual(["0", "0"]);
  const decided = decidedByBoth();
  expect(decided.length).toBeGreaterThanOrEqual(4);
  const all = lines
    .filter((l) => l.type === "run")
    .map((l) => ({ instance: l.w, slot: l.slot!, fence: l.fence! }));
  for (const slot of decided) expect(all.filter((r) => r.slot === slot)).toHaveLength(1);
  checkOncePerSlot(all, 1_000);
});

it("@Interval(1000) with @RunOnce: two app instances run each 1 s window once", async () => {
  const instances = [await startInstance("a"), await startInstance("b")];
  await waitFor(() => slotsDecidedByAll(events, 2).length >= 3, 15_000);
  for (const instance of instances) await instance.close();

  expect(events.filter((e) => e.type === "failed")).toEqual([]);
  expect(slotsDecidedByAll(events, 2).length).toBeGreaterThanOrEqual(3);
  checkOncePerSlot(runs, 1_000);
  // Runs carry the default key, <class>.<method>.
  expect(events[0]).toMatchObject({ name: "IntervalJobs.everyInterval" });
});

const failures: ScheduleEvent[] = [];

@Injectable()
class FailingJobs {
  @Cron("* * * * * *")
  @RunOnce({ ttlMs: 3_000, onEvent: (e) => failures.push(e) })
  async reported(): Promise<void> {
    throw new Error("reported job failed");
  }

  @Cron("* * * * * *")
  @RunOnce({ ttlMs: 3_000 })
  async logged(): Promise<void> {
    throw new Error("logged job failed");
  }
}

it("@Cron with @RunOnce, a method that throws: failed goes to onEvent, or without one to the lock function's logger", async () => {
  const client = await createClient({ url: REDIS_URL }).connect();
  const logged: { message: string; error: unknown }[] = [];
  const logger = {
    warn() {},
    error: (message: string, fields?: { error?: unknown }) => {
      logged.push({ message, error: fields?.error });
    },
  };
  const moduleRef = await Test.createTestingModule({
    imports: [
      ScheduleModule.forRoot(),
      SyncGuardModule.forRoot({
        lock: createLock(client, { keyPrefix: uniqueName("nest-fail"), logger }),
      }),
    ],
    providers: [FailingJobs],
  }).compile();
  await moduleRef.init();
  await waitFor(() => failures.length > 0 && logged.length > 0, 10_000);
  await moduleRef.close();
  await client.close();

  expect(failures.map((e) => e.type)).not.toContain("ran");
  expect(failures[0]).toMatchObject({
    type: "failed",
    name: "FailingJobs.reported",
    error: new Error("reported job failed"),
  });
  expect(logged[0]!.message).toContain('"FailingJobs.logged"');
  expect(logged[0]!.error).toEqual(new Error("logged job failed"));
});
