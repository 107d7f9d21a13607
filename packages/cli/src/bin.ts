#!/usr/bin/env node
import { EXIT_CODES, type ExitCode } from "./exit-codes";
import { describeFailure } from "./failure";
import { startRun } from "./main";
import { guardProcess } from "./process-guard";

let exiting = false;

/**
 * Exits once stdout is flushed. Explicitly: a store client may still be retrying a call the CLI
 * gave up on at its --timeout-ms (the Firestore SDK cannot cancel one), and a one-shot command
 * must not wait for it or report its late failure. The first exit wins.
 */
function exit(code: ExitCode): void {
  if (exiting) return;
  exiting = true;
  process.exitCode = code; // in case stdout never flushes
  process.stdout.write("", () => process.exit(code));
}

// The `syncguard` command: the process's streams, its exit code from the run, and a guard over
// what happens in the process outside the run (process-guard.ts).
// Neither starting nor running ever throws or rejects; if either does, that is a bug, and still
// never exit 0 or 1.
try {
  const run = startRun(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
  });
  guardProcess(run, exit);
  run.result.then(exit, (error: unknown) => {
    run.out.stderr.write(describeFailure(error, run.debug).text);
    exit(EXIT_CODES.internal);
  });
} catch (error) {
  process.stderr.write(describeFailure(error, false).text);
  exit(EXIT_CODES.internal);
}
