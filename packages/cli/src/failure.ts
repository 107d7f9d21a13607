import { CliError, EXIT_CODES, type ExitCode } from "./exit-codes";

/**
 * How an error ends a command: the exit code scripts branch on and the text for stderr. Every
 * error gets a code of 2 or more (0 and 1 are answers: "held", "free"), and one line, the
 * `syncguard: ` line; with `debug` the stacks of the error and its causes follow it.
 */
export interface Failure {
  readonly exitCode: ExitCode;
  readonly text: string;
}

/** LockError codes (by name: the error may come from another copy of core) that are exit 3. */
const STORE_CODES = new Set(["ServiceUnavailable", "NetworkTimeout", "AuthFailed", "RateLimited"]);

/** The exit code of a LockError code: bad input 2, the store 3, anything else 5. */
export function exitCodeOfLockCode(code: string): ExitCode {
  if (code === "InvalidArgument") return EXIT_CODES.usage;
  if (STORE_CODES.has(code)) return EXIT_CODES.store;
  return EXIT_CODES.internal;
}

/** How to see what the one line leaves out. */
export const DEBUG_HINT = "--debug or SYNCGUARD_DEBUG=1 prints the stack";

export function describeFailure(error: unknown, debug: boolean): Failure {
  const { exitCode, line, usageHint } = summarize(error);
  let text = `syncguard: ${oneLine(line)}\n`;
  if (usageHint) text += "Run syncguard --help for usage.\n";
  if (debug) text += stacks(error);
  return { exitCode, text };
}

function summarize(error: unknown): { exitCode: ExitCode; line: string; usageHint: boolean } {
  if (error instanceof CliError) {
    const label = error.label ? `${error.label}: ` : "";
    return {
      exitCode: error.exitCode,
      line: `${label}${error.message}`,
      usageHint: error.exitCode === EXIT_CODES.usage && !error.label,
    };
  }
  const name = read(() => (error as { name?: unknown }).name);
  const code = read(() => (error as { code?: unknown }).code);
  if (name === "LockError" && typeof code === "string") {
    return {
      exitCode: exitCodeOfLockCode(code),
      line: `${code}: ${messageOf(error)}`,
      usageHint: false,
    };
  }
  // Not an error SyncGuard raised on purpose: a bug, or a library failing in a way nobody mapped.
  const kind = typeof name === "string" && name !== "" ? `${name}: ` : "";
  return {
    exitCode: EXIT_CODES.internal,
    line: `unexpected error: ${kind}${messageOf(error)} (${DEBUG_HINT})`,
    usageHint: false,
  };
}

/** The message of anything thrown, never empty, never throwing itself. */
export function messageOf(error: unknown): string {
  const text = read(() => (error instanceof Error ? error.message || error.name : String(error)));
  return typeof text === "string" && text !== "" ? text : "(an error with no message)";
}

/** A library's multi-line message on the one line a script reads. */
const oneLine = (text: string) => text.replace(/\s*[\r\n]+\s*/g, " ").trim();

/** The stacks of `error` and each of its causes, for --debug. */
function stacks(error: unknown): string {
  let text = "";
  const seen = new Set<unknown>();
  for (let current = error; current !== undefined && !seen.has(current); ) {
    seen.add(current);
    const stack = read(() => (current as { stack?: unknown }).stack);
    text += `${seen.size === 1 ? "" : "Caused by: "}${typeof stack === "string" ? stack : messageOf(current)}\n`;
    current = read(() => (current as { cause?: unknown } | null)?.cause);
  }
  return text;
}

/** Reads a property of something thrown, which may be anything (a getter that throws too). */
function read<T>(get: () => T): T | undefined {
  try {
    return get();
  } catch {
    return undefined;
  }
}
