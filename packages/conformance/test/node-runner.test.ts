import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

// node:test cancels a test whose promise waits only on unref'd timers ("the event loop has
// already resolved"); the README's recipe must pass there as under jest, background suite included.
it("the README's node --test recipe passes, with nothing cancelled", async () => {
  const { stdout } = await run(
    process.execPath,
    ["--test", "--test-reporter=tap", join(__dirname, "fixtures", "node-runner.mjs")],
    { timeout: 120_000 },
  ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error) }));
  expect(stdout).toMatch(/^# fail 0$/m);
  expect(stdout).toMatch(/^# cancelled 0$/m);
  expect(stdout).toMatch(/ok \d+ - \[background\.quiet\]/);
});
