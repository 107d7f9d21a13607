import { EXIT_CODES, type ExitCode } from "./exit-codes";
import { DEBUG_HINT, describeFailure } from "./failure";
import type { CliIO } from "./io";

/**
 * The bin's watch over everything in its process that no `await` of the run reaches, so that no
 * error can end it with Node's own exit code (1, which means "free" to a script, or 0) and stack:
 *
 * - a rejection nobody handles: a client library's own (the Firestore SDK leaves some when it
 *   cannot load credentials). It is not the run's failure: the run's own calls report theirs,
 *   each within its deadline. Printed only with --debug.
 * - an exception thrown outside every promise (a library callback): the process can no longer
 *   be trusted, so the command ends at once with that error's exit code (5 for an unknown one).
 * - the event loop running dry while the run still waits: a call was dropped without settling
 *   and nothing will ever settle it; exit 5 instead of Node's silent 0.
 * - Node's process warnings (a library's deprecation, google-auth's failed metadata-server probe):
 *   not about the command, and printed by Node unscrubbed over two lines; shown only with --debug.
 *
 * Everything goes through `out.stderr`, which hides the run's secrets.
 */
export function guardProcess(
  run: { readonly out: CliIO; readonly debug: boolean; readonly result: Promise<unknown> },
  exit: (code: ExitCode) => void,
): void {
  let settled = false;
  const settle = () => {
    settled = true;
  };
  run.result.then(settle, settle);
  const write = (text: string) => {
    try {
      run.out.stderr.write(text);
    } catch {
      // stderr itself is gone: the exit code still tells
    }
  };
  process.on("unhandledRejection", (reason) => {
    if (run.debug) {
      write(
        `syncguard: debug: a rejection nobody handled (ignored): ${describeFailure(reason, true).text}`,
      );
    }
  });
  process.removeAllListeners("warning"); // Node's own printer
  process.on("warning", (warning) => {
    if (run.debug) write(`syncguard: debug: ${warning.name}: ${warning.message}\n`);
  });
  process.on("uncaughtException", (error) => {
    const failure = describeFailure(error, run.debug);
    write(failure.text);
    exit(failure.exitCode);
  });
  process.on("beforeExit", () => {
    if (settled) return;
    write(
      `syncguard: unexpected error: the command ended without a result: a call it waited for was dropped without settling (${DEBUG_HINT})\n`,
    );
    exit(EXIT_CODES.internal);
  });
}
