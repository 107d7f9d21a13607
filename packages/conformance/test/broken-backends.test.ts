import assert from "node:assert/strict";
import { join } from "node:path";
import { createMemoryBackend, type MemoryBackend } from "@syncguard/core/memory";
import { type ConformanceOptions, type RuleId, runConformance, type SuiteName } from "../src";
import {
  fenceResetOnRelease,
  lockIdInErrors,
  locksNeverExpire,
  releaseIgnoresOwner,
  secretInErrors,
} from "./broken-backends";
import { type RecordedOutcome, recordingTestApi } from "./recording-api";

/** Runs the given suites on a backend through a recording TestApi and returns every outcome. */
async function outcomesFor(
  name: string,
  createBackend: () => MemoryBackend,
  suites?: SuiteName[],
  extra: Partial<ConformanceOptions> = {},
): Promise<RecordedOutcome[]> {
  const { api, run } = recordingTestApi();
  runConformance({ name, createBackend, testApi: api, ...(suites ? { suites } : {}), ...extra });
  return run();
}

const failedRules = (outcomes: RecordedOutcome[]): string[] =>
  outcomes.filter((outcome) => !outcome.passed).map((outcome) => outcome.name);

/** Asserts that at least one test of the given safety rules failed. */
function assertCaught(outcomes: RecordedOutcome[], rules: RuleId[]): void {
  const failed = failedRules(outcomes);
  const caught = failed.filter((name) => rules.some((rule) => name.includes(`[${rule}]`)));
  assert.ok(
    caught.length > 0,
    `no test of ${rules.join(", ")} failed; failures: ${failed.join("; ") || "none"}`,
  );
}

describe("the suite fails loudly on broken backends", () => {
  it("passes every test on the unbroken memory backend", async () => {
    const outcomes = await outcomesFor("memory", () => createMemoryBackend());
    const failures = outcomes.filter((outcome) => !outcome.passed);
    assert.deepEqual(failures, [], "the reference backend must pass everything");
    assert.ok(outcomes.length > 50, `only ${outcomes.length} tests registered`);
  }, 60_000);

  it("catches a release that ignores lock ownership", async () => {
    const outcomes = await outcomesFor("release-ignores-owner", releaseIgnoresOwner, [
      "release",
      "lock",
    ]);
    assertCaught(outcomes, ["release.stale"]);
  }, 60_000);

  it("catches fences that repeat after release", async () => {
    const outcomes = await outcomesFor("fence-reset", fenceResetOnRelease, ["fencing", "isLocked"]);
    assertCaught(outcomes, ["fence.monotonic", "fence.per-key"]);
  }, 60_000);

  it("catches locks that never expire", async () => {
    const outcomes = await outcomesFor("never-expire", locksNeverExpire, [
      "expiry",
      "extend",
      "isLocked",
      "lookup",
    ]);
    assertCaught(outcomes, [
      "expiry.frees",
      "extend.no-resurrection",
      "isLocked.state",
      "lookup.absent",
    ]);
  }, 60_000);

  it("catches a backend that writes lockIds into its logs", async () => {
    const quiet = jest.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const outcomes = await outcomesFor("lockid-in-logs", lockIdInErrors, ["extend", "secrets"]);
      assertCaught(outcomes, ["secrets.no-leak"]);
    } finally {
      quiet.mockRestore();
    }
  }, 60_000);

  it("catches a named secret in an error message", async () => {
    const secret = "hunter2-not-a-real-password";
    const outcomes = await outcomesFor(
      "secret-in-errors",
      secretInErrors(secret),
      ["validation", "secrets"],
      { secrets: [secret] },
    );
    assertCaught(outcomes, ["secrets.no-leak"]);
  }, 60_000);

  it("catches a backend that does not coordinate processes (multi-process race)", async () => {
    const outcomes = await outcomesFor("process-local", () => createMemoryBackend(), ["race"], {
      worker: { modulePath: join(__dirname, "fixtures/memory-worker.js") },
      race: { processes: 3, iterations: 10 },
    });
    assertCaught(outcomes, ["race.exclusion"]);
    assertCaught(outcomes, ["race.fence-order"]);
  }, 60_000);
});
