/**
 * Scenario 6 (and scenario 4 on Firestore): a private Firestore emulator is frozen (SIGSTOP),
 * then killed (SIGKILL) and restarted on the same port.
 * Frozen: lock() settles by its timeout + 100 ms and 100 ms after an abort; an attempt it
 * abandoned leaves no lock once the emulator runs again.
 * Down: every operation fails with a LockError (ServiceUnavailable or NetworkTimeout), never
 * hanging past operationTimeoutMs; lock() ends by its timeout. After the restart the same client
 * works again (the emulator keeps data in memory only: locks held before are gone).
 */
import { type BackendConfig, type Connected, connect, uniqueName } from "../harness/backends";
import { describeError, hasMeaningfulMessage, lockErrorCodes } from "../harness/errors";
import { sweepLeaks } from "../harness/leak-sweep";
import { noSections } from "../harness/ledger";
import { concludeScenario } from "../harness/scenario";
import { type PrivateServer, ServiceHost } from "../harness/services";
import { delay, monoMs, pollUntil, type Settlement, settleWithin } from "../harness/timing";

const OPERATION_TIMEOUT_MS = 2000;
/** Timer and scheduling noise on top of operationTimeoutMs; a hang is seconds, not this. */
const OPERATION_SLACK_MS = 250;
const LOCK_TIMEOUT_MS = 1500;
const SETTLE_SLACK_MS = 100;
const ABORT_AT_MS = 300;
const OUTAGE_CODES = ["ServiceUnavailable", "NetworkTimeout"];
const DEADLINE_CODES = ["NetworkTimeout", "AcquisitionTimeout", "ServiceUnavailable"];

let host: ServiceHost;
let emulator: PrivateServer;
let config: BackendConfig;
let c: Connected;

beforeAll(async () => {
  host = await ServiceHost.start();
  emulator = await host.firestore();
  const name = uniqueName("outage");
  config = {
    kind: "firestore",
    firestoreHost: emulator.address,
    projectId: "demo-syncguard-faults-outage",
    collection: `${name}_locks`,
    fenceCollection: `${name}_fences`,
    operationTimeoutMs: OPERATION_TIMEOUT_MS,
  };
  c = await connect(config);
  // The first transactions on a fresh emulator pay the JVM warm-up (seconds on 2 busy cores),
  // longer than the short operation timeout this file uses: pay it here, unbounded.
  await pollUntil(
    "emulator warmed up",
    async () => {
      const warm = await c.backend.acquire({ key: "warm", ttlMs: 1000 });
      if (warm.ok) await c.backend.release({ lockId: warm.lockId });
      return warm.ok ? true : undefined;
    },
    { deadlineMs: 60_000, intervalMs: 100 },
  );
}, 120_000);
afterAll(async () => {
  emulator?.thaw();
  await c?.close();
  await host?.close();
});

function deadlineProblems(what: string, s: Settlement<unknown>, boundMs: number, codes: string[]) {
  if (!s.settled) return [`${what}: still pending at ${s.ms} ms`];
  if (s.ok) return [`${what}: resolved (${JSON.stringify(s.value)}) while the emulator was down`];
  const problems: string[] = [];
  if (!lockErrorCodes(s.error).some((code) => codes.includes(code))) {
    problems.push(`${what}: expected one of ${codes.join("/")}, got ${describeError(s.error)}`);
  }
  if (!hasMeaningfulMessage(s.error)) problems.push(`${what}: empty message`);
  if (s.ms > boundMs) problems.push(`${what}: took ${s.ms} ms (bound ${boundMs} ms)`);
  return problems;
}

describe("Firestore emulator frozen, killed and restarted", () => {
  it("frozen (SIGSTOP): lock() ends by its deadline and its abort, and leaves no lock behind", async () => {
    const keys = { timeout: "frozen:timeout", abort: "frozen:abort" };
    let fnRuns = 0;
    const fn = () => {
      fnRuns += 1;
    };
    let abortedAt = 0;
    let timed: Settlement<void>;
    let aborted: Settlement<void>;
    emulator.freeze();
    try {
      const start = monoMs();
      const controller = new AbortController();
      const timer = setTimeout(() => {
        abortedAt = monoMs() - start;
        controller.abort(new Error("test aborts"));
      }, ABORT_AT_MS);
      [timed, aborted] = await Promise.all([
        settleWithin(
          c.lock(fn, { key: keys.timeout, ttlMs: 30_000, timeoutMs: LOCK_TIMEOUT_MS }),
          LOCK_TIMEOUT_MS + 3000,
          start,
        ),
        settleWithin(
          c.lock(fn, {
            key: keys.abort,
            ttlMs: 30_000,
            timeoutMs: 10_000,
            signal: controller.signal,
          }),
          ABORT_AT_MS + 3000,
          start,
        ),
      ]);
      clearTimeout(timer);
    } finally {
      emulator.thaw();
    }
    const problems = deadlineProblems(
      "timeout",
      timed,
      LOCK_TIMEOUT_MS + SETTLE_SLACK_MS,
      DEADLINE_CODES,
    );
    const afterAbortMs = Math.round((aborted.ms - abortedAt) * 10) / 10;
    problems.push(
      ...deadlineProblems("abort", { ...aborted, ms: afterAbortMs }, SETTLE_SLACK_MS, ["Aborted"]),
    );
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
        { deadlineMs: 8000, intervalMs: 100 },
      );
      freeAfterThawMs = Math.round(monoMs() - thawedAt);
    } catch (error) {
      problems.push(`after SIGCONT: ${(error as Error).message} (TTL 30 s: an orphan was left)`);
    }
    await delay(200);
    if (fnRuns > 0) problems.push(`fn ran ${fnRuns} time(s) for calls that had already settled`);
    concludeScenario(
      {
        scenario: "firestore-frozen",
        backend: "firestore",
        faults: 1,
        ops: 2,
        extra: {
          timeoutMs: LOCK_TIMEOUT_MS,
          timeoutSettledMs: timed.settled ? timed.ms : `pending>${timed.ms}`,
          abortSettledAfterAbortMs: aborted.settled ? afterAbortMs : `pending>${afterAbortMs}`,
          freeAfterThawMs,
          fnRuns,
        },
      },
      noSections(),
    );
    expect(problems).toEqual([]);
  }, 60_000);

  it("killed: operations fail within operationTimeoutMs; restarted: the same client works again", async () => {
    const held = await c.backend.acquire({ key: "outage:held", ttlMs: 60_000 });
    if (!held.ok) throw new Error("outage:held unexpectedly locked");
    await emulator.kill();

    const operations: Array<[string, () => Promise<unknown>]> = [
      ["acquire", () => c.backend.acquire({ key: "outage:other", ttlMs: 1000 })],
      ["release", () => c.backend.release({ lockId: held.lockId })],
      ["extend", () => c.backend.extend({ lockId: held.lockId, ttlMs: 1000 })],
      ["isLocked", () => c.backend.isLocked({ key: "outage:held" })],
      ["lookup(key)", () => c.backend.lookup({ key: "outage:held" })],
      ["lookup(lockId)", () => c.backend.lookup({ lockId: held.lockId })],
    ];
    const settled = await Promise.all(
      operations.map(([, run]) =>
        settleWithin(Promise.resolve().then(run), OPERATION_TIMEOUT_MS + 10_000),
      ),
    );
    const problems: string[] = [];
    const timings: string[] = [];
    operations.forEach(([name], i) => {
      const s = settled[i]!;
      const code = s.settled && !s.ok ? (lockErrorCodes(s.error)[0] ?? "non-LockError") : "none";
      timings.push(`${name}:${s.ms}:${code}`);
      problems.push(
        ...deadlineProblems(name, s, OPERATION_TIMEOUT_MS + OPERATION_SLACK_MS, OUTAGE_CODES),
      );
    });
    let fnRan = false;
    const locked = await settleWithin(
      c.lock(
        () => {
          fnRan = true;
        },
        { key: "outage:lock", timeoutMs: LOCK_TIMEOUT_MS },
      ),
      LOCK_TIMEOUT_MS + 10_000,
    );
    problems.push(
      ...deadlineProblems("lock()", locked, LOCK_TIMEOUT_MS + SETTLE_SLACK_MS, DEADLINE_CODES),
    );
    if (fnRan) problems.push("lock(): fn ran while the emulator was down");

    await emulator.restart();
    const restartedAt = monoMs();
    let reconnectMs: number | string = "never";
    let dataLost: boolean | string = "unknown";
    try {
      await pollUntil(
        "the same client works after the restart",
        async () =>
          (await c.backend.isLocked({ key: "outage:probe" })) === false ? true : undefined,
        { deadlineMs: 30_000, intervalMs: 100 },
      );
      reconnectMs = Math.round(monoMs() - restartedAt);
      dataLost = !(await c.backend.isLocked({ key: "outage:held" }));
      const again = await c.backend.acquire({ key: "outage:after", ttlMs: 5000 });
      if (!again.ok) problems.push("after restart: a free key reads as locked");
      else if (!(await c.backend.release({ lockId: again.lockId })).ok) {
        problems.push("after restart: release of a fresh lock failed");
      }
    } catch (error) {
      problems.push(`after restart: ${(error as Error).message}`);
    }

    concludeScenario(
      {
        scenario: "firestore-outage",
        backend: "firestore",
        faults: 2,
        ops: operations.length + 1,
        extra: {
          operationTimeoutMs: OPERATION_TIMEOUT_MS,
          ops: timings.join(","),
          lockMs: locked.ms,
          reconnectMs,
          sameClient: reconnectMs !== "never",
          dataLostOnRestart: dataLost,
        },
      },
      noSections(),
    );
    expect(problems).toEqual([]);
  }, 90_000);
});

sweepLeaks();
