/**
 * The instrument before the measurements: the shared jest setup (jest.base.js: a strict test
 * environment and a reporter, scripts/jest/) fails a run in which a test file leaked work that
 * rejects or throws after the file finished, outside the window in which jest-circus itself
 * attributes such errors to a test. A clean run still passes. The leaky files run in one worker
 * while another file waits for their timer, as a worker would sit idle after its last file.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const FIXTURE = join(__dirname, "..", "harness", "strict-jest-fixture");
const JEST = require.resolve("jest/bin/jest");

/** A nested jest run over the fixture, with none of this run's jest variables. */
function runFixture(files: string[]): Promise<{ code: number; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), "strict-jest-"));
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(JEST_|SYNCGUARD_JEST_)/.test(name)) env[name] = value;
  }
  env.STRICT_FIXTURE_MARKER = join(dir, "marker");
  // --no-cache: no timings from earlier runs, so jest uses workers (it runs fast files in band).
  const args = [JEST, "--config", join(FIXTURE, "jest.config.js"), "--no-cache", "--ci"];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...args, "--maxWorkers=2", ...files],
      { cwd: FIXTURE, env, timeout: 60_000 },
      (error, stdout, stderr) => {
        rmSync(dir, { recursive: true, force: true });
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

it("a rejection from a timer that fires after its file finished fails the run", async () => {
  const run = await runFixture(["late-rejection", "waits-for-marker"]);
  expect(run.code).not.toBe(0);
  expect(run.output).toMatch(/\[stray errors\] 1 unhandled rejection/);
  expect(run.output).toMatch(/unhandledRejection after .*late-rejection\.fixture\.js finished/);
  expect(run.output).toMatch(/late rejection from a leaked timer/);
});

it("an exception thrown by such a timer fails the run", async () => {
  const run = await runFixture(["late-throw", "waits-for-marker"]);
  expect(run.code).not.toBe(0);
  expect(run.output).toMatch(/uncaughtException after .*late-throw\.fixture\.js finished/);
  expect(run.output).toMatch(/late throw from a leaked timer/);
});

it("a run that leaks nothing passes", async () => {
  const run = await runFixture(["clean"]);
  expect(run.output).not.toMatch(/stray errors/);
  expect(run.code).toBe(0);
});
