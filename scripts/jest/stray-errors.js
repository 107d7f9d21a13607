// Records every unhandled rejection and uncaught exception of a jest process (worker or, in band,
// the main process) that jest-circus does not catch itself. Circus swaps in its own listeners
// only while a test file runs (and fails the running test or hook); before and after that window
// (module loading, the gap between files, a timer that fires after a file's last test) Node's
// default would crash the worker or, with timers unref'd, let the process exit before they fire,
// so a leak could pass unseen. One recorder per process, shared by the environment and the reporter.
const { writeFileSync } = require("node:fs");
const { join } = require("node:path");
const { format } = require("node:util");

const KEY = Symbol.for("syncguard.jest.stray-errors");
/** The directory exited processes leave their unreported findings in (set by the reporter). */
const DIR_ENV = "SYNCGUARD_JEST_STRAY_DIR";

function describe(kind, error, state) {
  const where = state.running
    ? `while ${state.running} ran`
    : state.finished
      ? `after ${state.finished} finished (from it or an earlier file of this process)`
      : "before any test file ran";
  // Duck-typed: an error made inside a test file comes from the test's own realm.
  const text =
    typeof error?.stack === "string" && error.stack !== "" ? error.stack : format("%o", error);
  return `${kind} ${where}: ${text}`;
}

/** This process's recorder, with its listeners installed on first use. */
function strayErrors() {
  const existing = process[KEY];
  if (existing) return existing;
  const state = { findings: [], running: undefined, finished: undefined };
  process.on("unhandledRejection", (reason) => {
    state.findings.push(describe("unhandledRejection", reason, state));
  });
  // First in line: jest's worker logs an uncaught exception and exits at once from its own
  // listener, which would leave this one unrun.
  process.prependListener("uncaughtException", (error) => {
    state.findings.push(describe("uncaughtException", error, state));
  });
  process.on("exit", () => {
    // The reporter reads this after the workers have exited (the run's last chance to fail).
    const dir = process.env[DIR_ENV];
    if (state.findings.length === 0 || !dir) return;
    writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify(state.findings));
    state.findings = [];
  });
  process[KEY] = state;
  return state;
}

/** Takes (and forgets) what was recorded so far. */
function takeStrayErrors() {
  const state = strayErrors();
  const taken = state.findings;
  state.findings = [];
  return taken;
}

module.exports = { strayErrors, takeStrayErrors, DIR_ENV };
