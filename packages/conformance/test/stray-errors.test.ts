import { execFile } from "node:child_process";
import { join } from "node:path";

// The suite's own record of unhandled rejections and uncaught exceptions, without a runner's
// help: a plain node process (nothing else listens) runs part of the suite on a backend that
// leaks a rejection from a timer. `[background.quiet]` must fail, and so must teardown.
it("a backend that leaks an unhandled rejection fails [background.quiet] and the suite's teardown", async () => {
  const output = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      [join(__dirname, "fixtures", "leaky-backend-run.js")],
      { timeout: 60_000 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    );
  });
  const { outcomes, teardown } = JSON.parse(output.trim().split("\n").pop() ?? "{}") as {
    outcomes: Array<{ name: string; passed: boolean; error?: string }>;
    teardown: string;
  };
  const quiet = outcomes.find((outcome) => outcome.name.startsWith("[background.quiet]"));
  expect(quiet).toMatchObject({ passed: false });
  expect(quiet?.error).toMatch(/1 unhandled rejection/);
  expect(outcomes.filter((o) => !o.name.startsWith("[background.") && !o.passed)).toEqual([]);
  expect(teardown).toMatch(/unhandledRejection: Error: leaked from a backend timer/);
});
