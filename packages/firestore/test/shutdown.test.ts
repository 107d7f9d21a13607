import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * A script that closes its lock and then terminates its client must end at once. The bound is a
 * liveness check, far above an exit (a few ms) and far below what a forgotten listener or timer
 * keeps a process alive for.
 */
const EXIT_BOUND_MS = 1_500;

it("a script exits at once after lock.close() and db.terminate()", async () => {
  const { stdout } = await run(process.execPath, [join(__dirname, "fixtures", "shutdown.js")], {
    env: { ...process.env, METADATA_SERVER_DETECTION: "none" },
    timeout: 60_000,
  });
  const { exitMs } = JSON.parse(stdout) as { exitMs: number };
  expect(exitMs).toBeLessThan(EXIT_BOUND_MS);
});
