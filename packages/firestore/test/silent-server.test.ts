import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { freshCollections, newDb, projectIdFor, warmUp } from "./helpers";

// Issue 13 (item 2 on Firestore, and the error meanings of ADR "errors mean what they say"): an
// emulator that accepts the connection and never answers. Every operation must end by its
// operationTimeoutMs and by its signal, and say whether it may have written anything.
const run = promisify(execFile);
const projectId = projectIdFor("silent");

interface Outcome {
  code: string;
  message?: string;
  ms: number;
  cut?: boolean;
  msAfterCut?: number;
}
type Results = Record<string, Outcome>;
interface Report {
  crashed?: string;
  silentBeforeCommit: { results: Results; acquireKeyLocked: boolean };
  abortBeforeCommit: { results: Results };
  abortWhileQueued: { results: Results };
  lockWithTimeout: { results: Results };
  silentDuringCommit: { results: Results };
  abortDuringCommit: { results: Results };
}

// Generous on a shared 2-core machine; the bug they catch is a wait of tens of seconds.
const SLACK_MS = 1500;
let report: Report;

beforeAll(async () => {
  const db = newDb(projectId);
  await warmUp(db);
  await db.terminate();
  const names = freshCollections("silent");
  const { stdout } = await run(
    process.execPath,
    [
      join(__dirname, "fixtures", "silent-server.js"),
      projectId,
      names.collection,
      names.fenceCollection,
    ],
    { env: { ...process.env, METADATA_SERVER_DETECTION: "none" }, timeout: 120_000 },
  );
  report = JSON.parse(stdout.trim().split("\n").pop() ?? "{}");
  if (report.crashed) throw new Error(report.crashed);
  console.log(
    Object.entries(report)
      .map(
        ([scenario, { results }]) =>
          `${scenario}: ${Object.entries(results as Results)
            .map(([op, r]) => `${op} ${r.code} ${r.ms} ms`)
            .join(", ")}`,
      )
      .join("\n"),
  );
}, 150_000);

const SIX = ["acquire", "release", "extend", "isLocked", "lookupByKey", "lookupByLockId"];
const WRITES = ["acquire", "release", "extend"];

describe("against a server that never answers", () => {
  it("before any commit: ServiceUnavailable (nothing written) by operationTimeoutMs", () => {
    const { results, acquireKeyLocked } = report.silentBeforeCommit;
    expect(Object.keys(results).sort()).toEqual([...SIX, "subscribe"].sort());
    for (const [op, outcome] of Object.entries(results)) {
      expect({ op, code: outcome.code }).toEqual({ op, code: "ServiceUnavailable" });
      expect(outcome.message).toMatch(/no commit was sent, so nothing was written/);
      expect(outcome.ms).toBeGreaterThanOrEqual(950);
      expect(outcome.ms).toBeLessThan(1000 + SLACK_MS);
    }
    expect(acquireKeyLocked).toBe(false);
  });

  it("an abort ends every operation at once with Aborted", () => {
    for (const [op, outcome] of Object.entries(report.abortBeforeCommit.results)) {
      expect({ op, code: outcome.code }).toEqual({ op, code: "Aborted" });
      expect(outcome.message).toMatch(/nothing was written/);
      expect(outcome.ms).toBeLessThan(200 + SLACK_MS); // operationTimeoutMs is 30 s
    }
  });

  it("an acquire queued behind a hung acquire of the same key ends by its own abort", () => {
    const { queuedAcquire } = report.abortWhileQueued.results;
    expect(queuedAcquire?.code).toBe("Aborted");
    expect(queuedAcquire?.ms).toBeLessThan(200 + SLACK_MS);
  });

  it("lock() ends by its own timeoutMs, well before operationTimeoutMs", () => {
    const { lock } = report.lockWithTimeout.results;
    expect(["NetworkTimeout", "ServiceUnavailable"]).toContain(lock?.code);
    expect(lock?.message).toBeTruthy();
    expect(lock?.ms).toBeLessThan(1000 + SLACK_MS); // operationTimeoutMs is 30 s
  });

  it("with its commit in flight: NetworkTimeout (outcome unknown) by operationTimeoutMs", () => {
    const { results } = report.silentDuringCommit;
    expect(Object.keys(results).sort()).toEqual([...WRITES].sort());
    for (const [op, outcome] of Object.entries(results)) {
      expect({ op, code: outcome.code, cut: outcome.cut }).toEqual({
        op,
        code: "NetworkTimeout",
        cut: true,
      });
      expect(outcome.message).toMatch(/outcome is unknown/);
      expect(outcome.ms).toBeLessThan(1500 + SLACK_MS);
    }
  });

  it("with its commit in flight, an abort still ends it at once, saying the outcome is unknown", () => {
    for (const [op, outcome] of Object.entries(report.abortDuringCommit.results)) {
      expect({ op, code: outcome.code, cut: outcome.cut }).toEqual({
        op,
        code: "Aborted",
        cut: true,
      });
      expect(outcome.message).toMatch(/outcome is unknown/);
      expect(outcome.msAfterCut).toBeLessThan(100 + SLACK_MS); // operationTimeoutMs is 30 s
    }
  });
});
