/**
 * SyncGuardModule and @RunOnce() on the memory backend: the injectable service, shutdown, and bad
 * input refused with InvalidArgument before any I/O (at forRoot, at class definition, at startup).
 */
import "reflect-metadata";
import { Injectable, Module } from "@nestjs/common";
import { Cron, Interval, ScheduleModule, Timeout } from "@nestjs/schedule";
import { Test } from "@nestjs/testing";
import { createLock, type LockFunction } from "@syncguard/core";
import { createMemoryBackend } from "@syncguard/core/memory";
import {
  RunOnce,
  type RunOnceDecoratorOptions,
  SyncGuardModule,
  type SyncGuardModuleOptions,
  SyncGuardService,
} from "../src";

const invalid = (message: RegExp) =>
  expect.objectContaining({
    name: "LockError",
    code: "InvalidArgument",
    message: expect.stringMatching(message),
  });

/** A lock function that fails the test if anything reaches it. */
function untouchableLock(): LockFunction {
  const fail = () => {
    throw new Error("the lock function was used");
  };
  return Object.assign(fail, { ifFree: fail, close: async () => {} }) as unknown as LockFunction;
}

async function startWith(imports: unknown[], providers: unknown[] = []) {
  const moduleRef = await Test.createTestingModule({
    imports: imports as never[],
    providers: providers as never[],
  }).compile();
  await moduleRef.init();
  return moduleRef;
}

describe("SyncGuardService", () => {
  it("is injectable everywhere and runs lock and ifFree on the module's lock function", async () => {
    @Injectable()
    class Payments {
      constructor(readonly syncGuard: SyncGuardService) {}
    }
    @Module({ providers: [Payments], exports: [Payments] })
    class PaymentsModule {}

    const lock = createLock(createMemoryBackend());
    const app = await startWith([SyncGuardModule.forRoot({ lock }), PaymentsModule]);
    const service = app.get(Payments).syncGuard;
    expect(service).toBe(app.get(SyncGuardService));
    expect(service.lockFunction).toBe(lock);

    const inner = await service.lock(
      async ({ fence }) => {
        const busy = await service.ifFree(() => "ran", { key: "charge:1" });
        return { fence, busy };
      },
      { key: "charge:1" },
    );
    expect(inner.busy).toEqual({ ran: false });
    expect(typeof inner.fence).toBe("string");
    await expect(service.ifFree(() => "ran", { key: "charge:1" })).resolves.toEqual({
      ran: true,
      value: "ran",
    });

    // Shutdown closes the lock function: later calls are refused.
    await app.close();
    await expect(lock(() => 1, { key: "after" })).rejects.toMatchObject({ name: "LockError" });
  });

  it("runs semaphores and elections on the module's lock function; shutdown ends the election", async () => {
    const app = await startWith([
      SyncGuardModule.forRoot({ lock: createLock(createMemoryBackend()) }),
    ]);
    const service = app.get(SyncGuardService);
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 5 }, () =>
        service.semaphore(
          async () => {
            inside++;
            most = Math.max(most, inside);
            await new Promise((resolve) => setTimeout(resolve, 20));
            inside--;
          },
          { key: "exports", permits: 2 },
        ),
      ),
    );
    expect(most).toBe(2);

    const terms: string[] = [];
    const election = service.elect(
      { key: "scheduler", ttlMs: 1_000 },
      async ({ fence, signal }) => {
        terms.push(fence);
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      },
    );
    const leader = await (async () => {
      for (let i = 0; i < 100 && terms.length === 0; i++)
        await new Promise((r) => setTimeout(r, 10));
      return election.leader();
    })();
    expect(leader?.fence).toBe(terms[0]);
    await app.close();
    await expect(election.done).resolves.toBeUndefined();
  });

  it("forRootAsync builds the options in a factory with injections; closeOnShutdown: false leaves the lock open", async () => {
    const lock = createLock(createMemoryBackend());
    @Module({ providers: [{ provide: "LOCK", useValue: lock }], exports: ["LOCK"] })
    class LockModule {}
    const app = await startWith([
      SyncGuardModule.forRootAsync({
        imports: [LockModule],
        inject: ["LOCK"],
        useFactory: async (given: LockFunction) => ({ lock: given, closeOnShutdown: false }),
      }),
    ]);
    expect(app.get(SyncGuardService).lockFunction).toBe(lock);
    await app.close();
    await expect(lock(() => 1, { key: "still-open" })).resolves.toBe(1);
    await lock.close();
  });
});

describe("bad input is refused with InvalidArgument before any I/O", () => {
  it("forRoot options", () => {
    const lock = untouchableLock();
    const cases: [unknown, RegExp][] = [
      [undefined, /must be an object with a lock function/],
      [{}, /lock must be a lock function/],
      [{ lock: {} }, /lock must be a lock function/],
      [{ lock, closeOnShutdown: "yes" }, /closeOnShutdown must be a boolean/],
      [{ lock, isGlobal: true }, /always global/],
      [{ client: {} }, /createLock\(client\)/],
      [{ lock, closeOnShutdwn: true }, /did you mean closeOnShutdown/],
    ];
    for (const [options, message] of cases) {
      expect(() => SyncGuardModule.forRoot(options as SyncGuardModuleOptions)).toThrow(
        invalid(message),
      );
    }
  });

  it("forRootAsync options, and a factory result at startup", async () => {
    expect(() => SyncGuardModule.forRootAsync({} as never)).toThrow(
      invalid(/useFactory must be a function/),
    );
    expect(() =>
      SyncGuardModule.forRootAsync({
        useFactory: () => ({ lock: untouchableLock() }),
        inject: "X",
      } as never),
    ).toThrow(invalid(/inject must be an array/));
    expect(() => SyncGuardModule.forRootAsync({ useClass: class {} } as never)).toThrow(
      invalid(/useFactory/),
    );
    await expect(
      startWith([SyncGuardModule.forRootAsync({ useFactory: () => ({ lock: "redis" }) as never })]),
    ).rejects.toEqual(invalid(/useFactory result: lock must be a lock function/));
  });

  it("@RunOnce() options, when the class is defined", () => {
    const define = (options: unknown) => {
      class Jobs {
        @Cron("* * * * * *")
        @RunOnce(options as RunOnceDecoratorOptions)
        sweep() {}
      }
      return Jobs;
    };
    expect(() => define({ ttlMs: 1_000 })).not.toThrow();
    const cases: [unknown, RegExp][] = [
      [undefined, /^@RunOnce\(\) on Jobs\.sweep: options must be an object/],
      [{}, /ttlMs must be a positive integer/],
      [{ ttlMs: 0 }, /ttlMs must be a positive integer/],
      [{ ttlMs: 1_000, key: "" }, /key must be a non-empty string/],
      [{ ttlMs: 1_000, name: "sweep" }, /set key/],
      [{ ttlMs: 1_000, overlap: "wait" }, /overlap must be "skip" or "queue"/],
      [{ ttlMs: 1_000, maxWaitMs: 5_000 }, /maxWaitMs only applies with overlap: "queue"/],
      [{ ttlMs: 1_000, lateAfterMs: -1 }, /lateAfterMs must be a positive integer/],
      [{ ttlMs: 1_000, ttl: 5 }, /did you mean ttlMs/],
    ];
    for (const [options, message] of cases) expect(() => define(options)).toThrow(invalid(message));
    expect(() => {
      class Twice {
        @RunOnce({ ttlMs: 1_000 })
        @RunOnce({ ttlMs: 1_000 })
        sweep() {}
      }
      return Twice;
    }).toThrow(invalid(/Twice\.sweep: @RunOnce\(\) is applied twice/));
  });

  it("@RunOnce() on a method with no schedule, or only @Timeout(), fails the startup", async () => {
    @Injectable()
    class Unscheduled {
      @RunOnce({ ttlMs: 1_000 })
      sweep() {}
    }
    @Injectable()
    class OnStart {
      @Timeout(60_000)
      @RunOnce({ ttlMs: 1_000 })
      warm() {}
    }
    const lock = untouchableLock();
    await expect(
      startWith([ScheduleModule.forRoot(), SyncGuardModule.forRoot({ lock })], [Unscheduled]),
    ).rejects.toEqual(invalid(/Unscheduled\.sweep: the method has no @Cron\(\) or @Interval\(\)/));
    await expect(
      startWith([ScheduleModule.forRoot(), SyncGuardModule.forRoot({ lock })], [OnStart]),
    ).rejects.toEqual(invalid(/OnStart\.warm: @Timeout\(\) fires once per application start/));
  });

  it("a @RunOnce() method called on an instance no module bound rejects", async () => {
    class Jobs {
      @Cron("* * * * * *")
      @RunOnce({ ttlMs: 1_000 })
      sweep() {
        throw new Error("must not run");
      }
    }
    await expect((new Jobs().sweep as () => Promise<void>)()).rejects.toEqual(
      invalid(/did not bind: import SyncGuardModule\.forRoot\(\)/),
    );
  });
});

describe("the slot a trigger runs for", () => {
  // Only Date is faked (frozen at the trigger's moment); timers and the monotonic clock are real.
  // Each claim is then held for its slot's window past the frozen moment, in real time.
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

  const slots: Record<string, string> = {};
  const record = (name: string) => (run: { slot: Date }) => {
    slots[name] = run.slot.toISOString();
  };

  @Injectable()
  class Jobs {
    @Cron("0 0 * * *", { timeZone: "Asia/Tokyo" })
    @RunOnce({ ttlMs: 1_000, lateAfterMs: 500 })
    tokyoMidnight(run: { slot: Date }) {
      record("tokyo")(run);
    }

    @Cron("0 0 * * *", { utcOffset: 60 })
    @RunOnce({ ttlMs: 1_000, lateAfterMs: 500 })
    plusOneMidnight(run: { slot: Date }) {
      record("utc+1")(run);
    }

    @Cron(new Date("2030-01-01T15:00:00.000Z"))
    @RunOnce({ ttlMs: 1_000, lateAfterMs: 500 })
    once(run: { slot: Date }) {
      record("date")(run);
    }

    @Interval(2_000)
    @RunOnce({ ttlMs: 1_000 })
    everyTwoSeconds(run: { slot: Date }) {
      record("interval")(run);
    }
  }

  it("@Cron: the expression's scheduled time in its time zone or UTC offset; @Cron(date): that date; @Interval(ms): the window of ms since the epoch", async () => {
    // No ScheduleModule: nothing fires by itself; each call below is a trigger at the faked time.
    const lock = createLock(createMemoryBackend());
    const app = await startWith([SyncGuardModule.forRoot({ lock })], [Jobs]);
    const jobs = app.get(Jobs) as unknown as Record<string, () => Promise<void>>;

    at("2030-01-01T15:00:00.300Z"); // 00:00:00.300 in Tokyo, the next day
    await jobs.tokyoMidnight!();
    await jobs.once!();
    at("2030-01-01T23:00:00.300Z"); // midnight at UTC+1
    await jobs.plusOneMidnight!();
    await jobs.tokyoMidnight!(); // 08:00 in Tokyo: no slot within lateAfterMs, so it is late
    // 1.3 s into a 2 s window: accepted, since the whole window is by default.
    at("2030-01-01T23:00:01.300Z");
    await jobs.everyTwoSeconds!();
    jest.useRealTimers();
    await app.close();

    expect(slots).toEqual({
      tokyo: "2030-01-01T15:00:00.000Z",
      date: "2030-01-01T15:00:00.000Z",
      "utc+1": "2030-01-01T23:00:00.000Z",
      interval: "2030-01-01T23:00:00.000Z",
    });
  });
});
