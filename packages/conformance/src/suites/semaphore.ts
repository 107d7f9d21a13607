import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { acquirePermit, createLock } from "@syncguard/core";
import { compareFence, TIME_TOLERANCE_MS } from "@syncguard/core/driver";
import { asLockBackend, type SuiteContext } from "../context";
import { eventually, rejectsWithCode, uniqueKey } from "../helpers";
import type { RaceSection } from "../race-protocol";
import { raceInProcesses } from "./race";
import { semaphoreOperatorsSuite, skipOperators } from "./semaphore-operators";
import { semaphoreQueueTests } from "./semaphore-queue";

const RACE_PROCESSES = 8;
const RACE_PERMITS = 3;

/**
 * Fenced counting semaphores (ADR-039): at most `permits` holders of a key, each permit its own
 * lease and fence. An optional driver capability (`options.capabilities.semaphore`); undeclared,
 * these tests are reported as skipped.
 */
export function semaphoreSuite(ctx: SuiteContext): void {
  if (!ctx.options.capabilities?.semaphore) {
    const reason = "options.capabilities.semaphore not declared: the driver has no permits";
    ctx.skip("semaphore.limit", "at most permits holders at once", reason);
    ctx.skip("semaphore.permits", "callers that disagree on permits are refused", reason);
    ctx.skip("semaphore.expiry", "a crashed holder's permit comes back after its TTL", reason);
    ctx.skip("semaphore.fair", "a released permit goes to the longest waiter", reason);
    skipOperators(ctx, reason);
    ctx.skip("semaphore.race", "permits across processes", reason);
    semaphoreQueueTests(ctx, reason);
    return;
  }
  const backend = () => asLockBackend(ctx.backend);

  ctx.test(
    "semaphore.limit",
    "three permits are taken at once with their own lockIds and new fences; a fourth is turned away; the lock of the same key stays free",
    async () => {
      const key = uniqueKey("semaphore");
      const options = { key, permits: 3, ttlMs: ctx.ms(20_000), timeoutMs: 0 };
      const held = [];
      for (let i = 0; i < 3; i++) held.push(await acquirePermit(backend(), options));
      assert.equal(new Set(held.map((permit) => permit.lockId)).size, 3, "one lockId per permit");
      if (ctx.fencing) {
        for (let i = 1; i < held.length; i++) {
          assert.ok(
            compareFence(held[i]!.fence!, held[i - 1]!.fence!) > 0,
            "each permit's fence is newer than the one before",
          );
        }
      }
      await rejectsWithCode(
        () => acquirePermit(backend(), options),
        "AcquisitionTimeout",
        "a fourth permit of three",
      );
      const lock = await ctx.backend.acquire({ key, ttlMs: ctx.ms(5_000) });
      assert.equal(lock.ok, true, "a semaphore key's permits never hold the lock of that key");
      if (lock.ok) await ctx.backend.release({ lockId: lock.lockId });
      await held[0]!.release();
      const next = await acquirePermit(backend(), options);
      if (ctx.fencing) assert.ok(compareFence(next.fence!, held[2]!.fence!) > 0);
      for (const permit of [...held, next]) await permit.release();
    },
  );

  ctx.test(
    "semaphore.permits",
    "a caller asking for another number of permits while permits are live gets InvalidArgument; once none is live the new number holds",
    async () => {
      const key = uniqueKey("semaphore-permits");
      const held = await acquirePermit(backend(), { key, permits: 2, ttlMs: ctx.ms(20_000) });
      await rejectsWithCode(
        () => acquirePermit(backend(), { key, permits: 3, timeoutMs: ctx.ms(2_000) }),
        "InvalidArgument",
        "permits 3 next to a live holder of permits 2",
      );
      await held.release();
      const wider = await acquirePermit(backend(), { key, permits: 3, ttlMs: ctx.ms(20_000) });
      await wider.release();
    },
  );

  ctx.test(
    "semaphore.expiry",
    "a permit whose holder stopped renewing stops counting after its TTL: a waiter gets it with a newer fence; the old holder can neither extend nor release it",
    async () => {
      const key = uniqueKey("semaphore-expiry");
      const ttlMs = ctx.ms(1_000);
      const crashed = await acquirePermit(backend(), { key, permits: 1, ttlMs });
      const next = await acquirePermit(backend(), {
        key,
        permits: 1,
        ttlMs: ctx.ms(20_000),
        timeoutMs: ttlMs + TIME_TOLERANCE_MS + ctx.ms(5_000),
        maxRetries: Number.MAX_SAFE_INTEGER,
        retryDelayMs: ctx.ms(50),
        maxRetryDelayMs: ctx.ms(200),
      });
      if (ctx.fencing) assert.ok(compareFence(next.fence!, crashed.fence!) > 0);
      assert.deepEqual(await crashed.extend(), { ok: false }, "an expired permit is not renewed");
      assert.deepEqual(await crashed.release(), { ok: false }, "nor released");
      await next.release();
    },
    { waitsOnClock: true, timeoutMs: 30_000 },
  );

  ctx.test(
    "semaphore.fair",
    "lock.semaphore waiters get a released permit in arrival order",
    async () => {
      const key = uniqueKey("semaphore-fair");
      const lock = createLock(backend(), {
        retryDelayMs: ctx.ms(10_000),
        maxRetryDelayMs: ctx.ms(10_000),
      });
      const holder = await acquirePermit(backend(), { key, permits: 1, ttlMs: ctx.ms(20_000) });
      const order: number[] = [];
      const running: Promise<void>[] = [];
      for (const i of [0, 1, 2]) {
        let contended = 0;
        running.push(
          lock.semaphore(
            () => {
              order.push(i);
            },
            {
              key,
              permits: 1,
              timeoutMs: ctx.ms(30_000),
              onEvent: (event) => {
                if (event.type === "contended") contended++;
              },
            },
          ),
        );
        // The first is turned away twice (its first attempt, then one after it listens); the
        // others join its wake-ups at once and are in line after their first attempt.
        await eventually(() => contended >= (i === 0 ? 2 : 1));
      }
      await holder.release();
      await Promise.all(running);
      assert.deepEqual(order, [0, 1, 2], "waiters ran in arrival order");
    },
    { timeoutMs: 60_000 },
  );

  semaphoreQueueTests(ctx);
  if (ctx.options.capabilities.semaphoreOperators) {
    semaphoreOperatorsSuite(ctx);
  } else {
    skipOperators(
      ctx,
      "options.capabilities.semaphoreOperators not declared: the driver's permits have no read and list",
    );
  }

  const { worker } = ctx.options;
  if (!worker) {
    const reason = "options.worker not given: child processes cannot build this backend";
    ctx.skip("semaphore.race", "permits across processes", reason);
    return;
  }
  const iterations = ctx.options.semaphoreRace?.iterations ?? 10;
  ctx.test(
    "semaphore.race",
    `${RACE_PROCESSES} processes x ${iterations} sections, permits ${RACE_PERMITS}: never more than ${RACE_PERMITS} inside, every section completes, fences unique and ordered`,
    async () => {
      const sections = await raceInProcesses(worker, RACE_PROCESSES, {
        slotsDir: mkdtempSync(join(tmpdir(), "sg-semaphore-race-")),
        modulePath: worker.modulePath,
        exportName: worker.exportName ?? "createBackend",
        key: uniqueKey("semaphore-race"),
        iterations,
        ttlMs: ctx.ms(30_000),
        timeoutMs: ctx.ms(60_000 + RACE_PROCESSES * iterations * 200),
        holdMs: 5,
        mode: "semaphore",
        permits: RACE_PERMITS,
      });
      assert.equal(sections.length, RACE_PROCESSES * iterations, "every section completed");
      const overfull = sections.filter((section) => section.overfull);
      assert.equal(
        overfull.length,
        0,
        `${overfull.length} sections found all ${RACE_PERMITS} slots taken on entry (pids ${overfull.map((s) => s.pid).join(", ")})`,
      );
      if (ctx.fencing) checkRaceFences(sections);
    },
    { timeoutMs: 120_000 + RACE_PROCESSES * iterations * 500 },
  );
}

/**
 * How far apart two processes' clocks may read (each process's clock starts from its own reading
 * of the system clock): an order in time is trusted only beyond this.
 */
const ORDER_SLACK_MS = 50;

/**
 * Fences are unique, and a section whose call began after another's had returned (its permit
 * released) has the newer fence: its permit was issued later.
 */
export function checkRaceFences(sections: readonly RaceSection[]): void {
  const fences = sections.map((section) => section.fence);
  assert.ok(
    fences.every((fence) => typeof fence === "string"),
    "every permit of a fencing backend has a fence",
  );
  assert.equal(new Set(fences).size, sections.length, "no fence was issued twice");
  for (const earlier of sections) {
    for (const later of sections) {
      if (later.calledMs <= earlier.returnedMs + ORDER_SLACK_MS) continue;
      assert.ok(
        compareFence(later.fence!, earlier.fence!) > 0,
        `fence ${later.fence} (pid ${later.pid}) was issued after ${earlier.fence} (pid ${earlier.pid}) was released`,
      );
    }
  }
}
