/**
 * Scenario 4: redis-server frozen with SIGSTOP (it keeps its sockets, answers nothing). lock()
 * with timeoutMs T settles within T + 100 ms; with its signal aborted at 300 ms it settles within
 * 100 ms of the abort with Aborted; fn never runs. After SIGCONT the server runs the abandoned
 * acquire attempts: their locks must be released as soon as their outcome is known, so both keys
 * become free well before their 30 s TTL.
 */
import { type Connected, connect, uniqueName } from "../harness/backends";
import { describeError, lockErrorCodes } from "../harness/errors";
import { sweepLeaks } from "../harness/leak-sweep";
import { type PrivateServer, ServiceHost } from "../harness/services";
import { recordSummary } from "../harness/summary";
import { delay, monoMs, pollUntil, settleWithin } from "../harness/timing";

const TIMEOUT_MS = 1000;
const ABORT_AT_MS = 300;
/** Issue 13 acceptance: T + 100 ms, and 100 ms after an abort. */
const SETTLE_SLACK_MS = 100;
const TTL_MS = 30_000;
/** Much shorter than the TTL: an orphan must be released, not left to expire. */
const FREE_DEADLINE_MS = 5000;
const DEADLINE_CODES = ["NetworkTimeout", "AcquisitionTimeout", "ServiceUnavailable"];

let host: ServiceHost;
let server: PrivateServer;
let c: Connected;

beforeAll(async () => {
  host = await ServiceHost.start();
  server = await host.redis();
  c = await connect({
    kind: "redis-single",
    redisUrl: server.address,
    keyPrefix: uniqueName("frozen"),
  });
  // Load the scripts first, so the frozen attempts are real acquires the server will run later.
  const warm = await c.backend.acquire({ key: "frozen:warm", ttlMs: 1000 });
  if (warm.ok) await c.backend.release({ lockId: warm.lockId });
});
afterAll(async () => {
  server?.thaw();
  await c?.close();
  await host?.close();
});

describe("frozen redis-server (SIGSTOP)", () => {
  it.skip("memory: not applicable (no server to freeze)", () => {});
  it.skip("redis-cluster: not run (a destructive scenario needs a private cluster)", () => {});

  it("redis-single: lock() ends by its deadline and its abort, and leaves no lock behind", async () => {
    const keys = { timeout: "frozen:timeout", abort: "frozen:abort" };
    let fnRuns = 0;
    const fn = () => {
      fnRuns += 1;
    };
    const problems: string[] = [];
    let abortedAt = 0;
    let timeoutRun: Awaited<ReturnType<typeof settleWithin>>;
    let abortRun: Awaited<ReturnType<typeof settleWithin>>;
    server.freeze();
    try {
      const start = monoMs();
      const controller = new AbortController();
      const abortTimer = setTimeout(() => {
        abortedAt = monoMs() - start;
        controller.abort(new Error("test aborts"));
      }, ABORT_AT_MS);
      const timed = c.lock(fn, { key: keys.timeout, ttlMs: TTL_MS, timeoutMs: TIMEOUT_MS });
      const aborted = c.lock(fn, {
        key: keys.abort,
        ttlMs: TTL_MS,
        timeoutMs: 10_000,
        signal: controller.signal,
      });
      [timeoutRun, abortRun] = await Promise.all([
        settleWithin(timed, TIMEOUT_MS + 2000, start),
        settleWithin(aborted, ABORT_AT_MS + 2000, start),
      ]);
      clearTimeout(abortTimer);
    } finally {
      server.thaw();
    }

    if (!timeoutRun.settled) problems.push(`timeout: still pending at ${timeoutRun.ms} ms`);
    else if (timeoutRun.ok) problems.push("timeout: lock() resolved against a frozen server");
    else {
      const codes = lockErrorCodes(timeoutRun.error);
      if (!codes.some((code) => DEADLINE_CODES.includes(code))) {
        problems.push(`timeout: unexpected error ${describeError(timeoutRun.error)}`);
      }
      if (timeoutRun.ms > TIMEOUT_MS + SETTLE_SLACK_MS) {
        problems.push(
          `timeout: settled at ${timeoutRun.ms} ms (bound ${TIMEOUT_MS + SETTLE_SLACK_MS})`,
        );
      }
    }
    const afterAbortMs = Math.round((abortRun.ms - abortedAt) * 10) / 10;
    if (!abortRun.settled) problems.push(`abort: still pending at ${abortRun.ms} ms`);
    else if (abortRun.ok) problems.push("abort: lock() resolved against a frozen server");
    else {
      if (lockErrorCodes(abortRun.error)[0] !== "Aborted") {
        problems.push(`abort: expected Aborted, got ${describeError(abortRun.error)}`);
      }
      if (afterAbortMs > SETTLE_SLACK_MS) {
        problems.push(
          `abort: settled ${afterAbortMs} ms after the abort (bound ${SETTLE_SLACK_MS})`,
        );
      }
    }

    // Thawed: the server now runs the attempts it had queued. Nothing may stay locked.
    const thawedAt = monoMs();
    let freeAfterThawMs: number | string = "never";
    try {
      await pollUntil(
        "both keys free after SIGCONT",
        async () => {
          const held = await Promise.all(
            Object.values(keys).map((key) => c.backend.isLocked({ key })),
          );
          return held.every((h) => !h) ? true : undefined;
        },
        { deadlineMs: FREE_DEADLINE_MS, intervalMs: 50 },
      );
      freeAfterThawMs = Math.round(monoMs() - thawedAt);
    } catch (error) {
      problems.push(
        `after SIGCONT: ${(error as Error).message} (TTL ${TTL_MS} ms: an orphan was left)`,
      );
    }
    // A late reply must not start the work of a call that already gave up.
    await delay(200);
    if (fnRuns > 0) problems.push(`fn ran ${fnRuns} time(s) for calls that had already settled`);

    recordSummary({
      scenario: "redis-frozen",
      backend: "redis-single",
      faults: 1,
      ops: 2,
      overlaps: 0,
      fenceRegressions: 0,
      extra: {
        timeoutMs: TIMEOUT_MS,
        timeoutSettledMs: timeoutRun.settled ? timeoutRun.ms : `pending>${timeoutRun.ms}`,
        timeoutCode:
          timeoutRun.settled && !timeoutRun.ok
            ? (lockErrorCodes(timeoutRun.error)[0] ?? "?")
            : "none",
        abortSettledAfterAbortMs: abortRun.settled ? afterAbortMs : `pending>${afterAbortMs}`,
        freeAfterThawMs,
        fnRuns,
      },
    });
    expect(problems).toEqual([]);
  });
});

sweepLeaks();
