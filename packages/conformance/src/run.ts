import { type ConformancePlan, type ConformanceTest, collectConformanceTests } from "./collect";
import type { ConformanceOptions, TestApi } from "./options";

type Registrar = (...args: never[]) => unknown;

function globalFunction(name: string): Registrar | undefined {
  const value = (globalThis as Record<string, unknown>)[name];
  return typeof value === "function" ? (value as Registrar) : undefined;
}

/** The runner's globals (jest, vitest with globals, mocha-style runners). */
function globalTestApi(): TestApi {
  const describe = globalFunction("describe");
  const it = globalFunction("it") ?? globalFunction("test");
  const beforeAll = globalFunction("beforeAll") ?? globalFunction("before");
  const afterAll = globalFunction("afterAll") ?? globalFunction("after");
  if (!describe || !it || !beforeAll || !afterAll) {
    throw new Error(
      "runConformance: no global describe/it/beforeAll/afterAll found. Run it under jest or " +
        "vitest (globals: true), or pass options.testApi (see the README for node:test).",
    );
  }
  const skip = (it as unknown as { skip?: unknown }).skip;
  return {
    describe: describe as unknown as TestApi["describe"],
    it: it as unknown as TestApi["it"],
    beforeAll: beforeAll as unknown as TestApi["beforeAll"],
    afterAll: afterAll as unknown as TestApi["afterAll"],
    skip: typeof skip === "function" ? (skip as TestApi["skip"]) : undefined,
  };
}

/**
 * Tests that mostly wait for the clock start together right after setup and run in the
 * background; each test's own `it` then awaits its result, so failures and timeouts are still
 * reported under its name. Sequentially, the waits alone take most of a run.
 */
function startedEarly(plan: ConformancePlan) {
  const waiting = plan.suites.flatMap((suite) => suite.tests.filter((test) => test.waitsOnClock));
  const results = new Map<ConformanceTest, Promise<void>>();
  return {
    start(): void {
      for (const test of waiting) {
        const result = test.run();
        // Observed here so an early failure is not an unhandled rejection; `result()` rethrows it.
        result.catch(() => {});
        results.set(test, result);
      }
    },
    result(test: ConformanceTest): Promise<void> | undefined {
      return results.get(test);
    },
    /** Teardown waits for every early test, even one whose `it` was filtered out or timed out. */
    async settled(): Promise<void> {
      await Promise.allSettled(results.values());
    },
  };
}

/**
 * Registers the whole conformance suite for one backend in the calling test file:
 * one `describe` per contract area, one `it` per rule check, named `[rule-id] what it checks`.
 */
export function runConformance(options: ConformanceOptions): void {
  const api = options.testApi ?? globalTestApi();
  const plan = collectConformanceTests(options);
  const early = startedEarly(plan);
  api.describe(`SyncGuard conformance: ${plan.name}`, () => {
    api.beforeAll(async () => {
      await plan.setup();
      early.start();
    }, plan.hookTimeoutMs);
    api.afterAll(async () => {
      await early.settled();
      await plan.teardown();
    }, plan.hookTimeoutMs);
    for (const suite of plan.suites) {
      api.describe(suite.name, () => {
        for (const test of suite.tests) {
          if (test.skipReason === undefined) {
            api.it(test.name, () => early.result(test) ?? test.run(), test.timeoutMs);
          } else if (api.skip) {
            api.skip(`${test.name} (skipped: ${test.skipReason})`, () => {});
          } else {
            api.it(`${test.name} (skipped: ${test.skipReason})`, () => {});
          }
        }
      });
    }
  });
}
