import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { LIBRARIES } from "./fixtures/connect";

const run = promisify(execFile);

/**
 * A script that closes its lock and then its client must end at once. The bound is a liveness
 * check, far above an exit (a few ms) and far below the seconds a forgotten connection or timer
 * keeps a process alive (an ioredis Cluster's wake-up connection: 4 s).
 */
const EXIT_BOUND_MS = 1_500;

describe.each(LIBRARIES)("a script on %s", (library) => {
  it.each(["single", "cluster"])(
    "exits at once after lock.close() and closing its %s client",
    async (mode) => {
      const { stdout } = await run(process.execPath, [join(__dirname, "fixtures", "shutdown.js")], {
        env: { ...process.env, SYNCGUARD_REDIS_CLIENT: library, SYNCGUARD_REDIS_MODE: mode },
        timeout: 30_000,
      });
      const { exitMs } = JSON.parse(stdout) as { exitMs: number };
      expect(exitMs).toBeLessThan(EXIT_BOUND_MS);
    },
  );
});
