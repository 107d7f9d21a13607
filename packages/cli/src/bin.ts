#!/usr/bin/env node
import { main } from "./main";

/**
 * Exits once stdout is flushed. Explicitly: a store client may still be retrying a call the CLI
 * gave up on at its --timeout-ms (the Firestore SDK cannot cancel one), and a one-shot command
 * must not wait for it or report its late failure.
 */
function exit(code: number): void {
  process.stdout.write("", () => process.exit(code));
}

// The `syncguard` command: the process's streams, and its exit code from main().
main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
}).then(exit, (error: unknown) => {
  process.stderr.write(`syncguard: ${String(error)}\n`);
  exit(5);
});
