import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { postgresUrl } from "./helpers";

const run = promisify(execFile);

/**
 * A script that closes its lock and then its pool must end at once. The bound is a liveness
 * check, far above an exit (a few ms) and far below what a forgotten connection or timer keeps a
 * process alive for.
 */
const EXIT_BOUND_MS = 1_500;

it.each(["pg", "postgres"])(
  "a script on %s exits at once after lock.close() and ending its client",
  async (client) => {
    const { stdout } = await run(process.execPath, [join(__dirname, "fixtures", "shutdown.js")], {
      env: { ...process.env, SYNCGUARD_POSTGRES_URL: postgresUrl(), SYNCGUARD_PG_CLIENT: client },
      timeout: 30_000,
    });
    const { exitMs } = JSON.parse(stdout) as { exitMs: number };
    expect(exitMs).toBeLessThan(EXIT_BOUND_MS);
  },
);
