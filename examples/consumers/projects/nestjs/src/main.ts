// A Nest application that installed @syncguard/nestjs with @nestjs/common, @nestjs/core and
// @nestjs/schedule: two instances (application contexts) on one memory backend run a
// @Cron("* * * * * *") method with @RunOnce() once per slot. Compiled as ESM (Nest 12) and as
// CommonJS (Nest 11) by two projects. Prints one JSON line.
import "reflect-metadata";
import { Injectable, Module } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import { Cron, ScheduleModule } from "@nestjs/schedule";
import { createLock, type LockBackend } from "@syncguard/core";
import { createMemoryBackend } from "@syncguard/core/memory";
import {
  RunOnce,
  type ScheduledRun,
  type ScheduleEvent,
  SyncGuardModule,
  SyncGuardService,
} from "@syncguard/nestjs";

const SLOTS = 2;
const runs: { slot: number; fence: string }[] = [];
const events: ScheduleEvent[] = [];

@Injectable()
class Jobs {
  constructor(readonly syncGuard: SyncGuardService) {}

  @Cron("* * * * * *")
  @RunOnce({ key: "consumer-nest", ttlMs: 5_000, onEvent: (event) => events.push(event) })
  async everySecond(run: ScheduledRun): Promise<void> {
    runs.push({ slot: run.slot.getTime(), fence: run.fence });
  }
}

async function startInstance(backend: LockBackend) {
  @Module({
    imports: [ScheduleModule.forRoot(), SyncGuardModule.forRoot({ lock: createLock(backend) })],
    providers: [Jobs],
  })
  class AppModule {}
  return NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
}

function slotsDecidedByBoth(): number[] {
  const counts = new Map<number, number>();
  for (const e of events) {
    if (e.type === "ran" || e.type === "skipped") {
      counts.set(e.slot.getTime(), (counts.get(e.slot.getTime()) ?? 0) + 1);
    }
  }
  return [...counts].filter(([, n]) => n === 2).map(([slot]) => slot);
}

async function main() {
  const backend = createMemoryBackend();
  const apps = [await startInstance(backend), await startInstance(backend)];
  // Injected by type into Jobs (emitDecoratorMetadata), and got from the container: one service.
  const service = apps[0]!.get(SyncGuardService);
  const injected = apps[0]!.get(Jobs).syncGuard === service;
  const locked = await service.lock(({ fence }) => fence, { key: "consumer-nest:once" });

  const deadline = performance.now() + 20_000;
  while (slotsDecidedByBoth().length < SLOTS && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const app of apps) await app.close();

  const slots = slotsDecidedByBoth();
  const runsPerSlot = slots.map((slot) => runs.filter((r) => r.slot === slot).length);
  const ok =
    injected &&
    typeof locked === "string" &&
    slots.length >= SLOTS &&
    runsPerSlot.every((n) => n === 1) &&
    events.every((e) => e.type !== "failed");
  console.log(
    JSON.stringify({
      ok,
      format: typeof require === "function" ? "cjs" : "esm",
      injected,
      slots: slots.length,
      runsPerSlot,
      failed: events.filter((e) => e.type === "failed").map((e) => String(e.error)),
    }),
  );
  if (!ok) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
