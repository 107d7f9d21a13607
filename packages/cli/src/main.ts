import { readFileSync } from "node:fs";
import path from "node:path";
import {
  CLIENT_NOT_INSTALLED,
  connectionUrlSecrets,
  type OperatorPlan,
  type StoreOperator,
} from "@syncguard/core/operator";
import { debugRequested, type Invocation, readInvocation, readRequest } from "./args";
import { candidateUrls } from "./argv-urls";
import { fence } from "./commands/fence";
import { inspect } from "./commands/inspect";
import { list } from "./commands/list";
import { migrate2x } from "./commands/migrate";
import { checkConfirmable, release } from "./commands/release";
import { releasePermit } from "./commands/release-permit";
import { CliError, EXIT_CODES, type ExitCode } from "./exit-codes";
import { describeFailure } from "./failure";
import { helpText } from "./help";
import type { CliIO } from "./io";
import { Scrubber } from "./scrub";
import { chooseStore, installHint, loadOperator, openStore, type Store } from "./stores";

/** The installed package's version (read at run time: dist/ and src/ both sit beside it). */
function version(): string {
  try {
    const manifest = readFileSync(path.join(__dirname, "..", "package.json"), "utf8");
    return (JSON.parse(manifest) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

/**
 * Runs `syncguard` with `argv` (the arguments after the program name) and returns its exit code.
 * Never throws and never exits the process: the bin does that with the code returned.
 */
export async function main(argv: readonly string[], io: CliIO): Promise<ExitCode> {
  return startRun(argv, io).result;
}

/** A run under way: the streams it prints to (scrubbed) and whether --debug is on. */
export interface CliRun {
  /** `io` with every secret the run knows of masked, now and as it learns more. */
  readonly out: CliIO;
  readonly debug: boolean;
  readonly result: Promise<ExitCode>;
}

/** Starts a run; the bin also reports errors from outside it (process-guard.ts) through `out`. */
export function startRun(argv: readonly string[], io: CliIO): CliRun {
  // Every line goes through the scrubber, which learns the secrets before anything is printed:
  // those of the --url values at once, and those the store's operator reads from its settings.
  const scrubber = new Scrubber();
  const env = io.env ?? process.env;
  scrubber.add(candidateUrls(argv, env).flatMap(connectionUrlSecrets));
  const out = scrubbedIO(io, scrubber);
  const debug = debugRequested(argv, env);
  return { out, debug, result: execute(argv, env, out, scrubber, debug) };
}

async function execute(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  out: CliIO,
  scrubber: Scrubber,
  debug: boolean,
): Promise<ExitCode> {
  let store: Store | undefined;
  try {
    const request = readRequest(argv, env);
    if (request.kind === "version") {
      out.stdout.write(`${version()}\n`);
      return EXIT_CODES.ok;
    }
    if (request.kind === "help") {
      out.stdout.write(`${helpText(request.command)}\n`);
      return EXIT_CODES.ok;
    }
    const kind = chooseStore(request.hints);
    const operator = loadOperator(kind);
    if (request.command === "migrate-2x" && !operator.migrationFlags) {
      throw new CliError(
        EXIT_CODES.usage,
        `${operator.store} has no 2.x migration: syncguard 2.x kept no ${operator.store} data this version carries over`,
      );
    }
    const call = readInvocation(argv, request.command, operator);
    for (const [old, name] of call.renamed) {
      out.stderr.write(`syncguard: notice: --${old} is now --${name}\n`);
    }
    if (call.command === "release") checkConfirmable(out, call.yes);
    const plan = configure(operator, call, env, stderrLogger(out));
    scrubber.add(plan.secrets);
    store = await openStore(operator.store, plan, call.timeoutMs);
    return await run(store, out, call);
  } catch (error) {
    const failure = describeFailure(error, debug);
    out.stderr.write(failure.text);
    return failure.exitCode;
  } finally {
    if (store) await closeQuietly(store, out, debug);
  }
}

/** Closing never changes the answer already printed (its failure shows with --debug). */
async function closeQuietly(store: Store, out: CliIO, debug: boolean): Promise<void> {
  try {
    await store.close();
  } catch (error) {
    if (debug)
      out.stderr.write(`syncguard: debug: closing failed: ${describeFailure(error, true).text}`);
  }
}

/** The operator reads the store's flags (before any I/O); a missing client library is exit 4. */
function configure(
  operator: StoreOperator,
  call: Invocation,
  env: NodeJS.ProcessEnv,
  logger: ReturnType<typeof stderrLogger>,
): OperatorPlan {
  try {
    return operator.configure({ flags: call.storeFlags, env, timeoutMs: call.timeoutMs, logger });
  } catch (error) {
    const { code, packages } = (error ?? {}) as { code?: unknown; packages?: unknown };
    if (code === CLIENT_NOT_INSTALLED && Array.isArray(packages)) {
      throw new CliError(
        EXIT_CODES.notInstalled,
        `${(error as Error).message}: ${installHint(packages as string[])}`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** `io` with every secret masked in what is written to stdout and stderr. */
function scrubbedIO(io: CliIO, scrubber: Scrubber): CliIO {
  return {
    ...io,
    stdout: { write: (text: string) => io.stdout.write(scrubber.scrubData(text)) },
    stderr: { write: (text: string) => io.stderr.write(scrubber.scrub(text)) },
  };
}

/** The backends' warnings (rare: a misconfigured store) as lines on the CLI's stderr. */
const stderrLogger = (io: CliIO) => ({
  warn: (message: string) => void io.stderr.write(`syncguard: warning: ${message}\n`),
  error: (message: string) => void io.stderr.write(`syncguard: error: ${message}\n`),
});

function run(store: Store, io: CliIO, call: Invocation): Promise<ExitCode> {
  const key = call.key as string;
  switch (call.command) {
    case "inspect":
      return inspect(store, io, key, call.json);
    case "fence":
      return fence(store, io, key, call.json);
    case "release":
      return call.permit
        ? releasePermit(store, io, key, call.permit, { yes: call.yes, json: call.json })
        : release(store, io, key, { yes: call.yes, json: call.json });
    case "migrate-2x":
      return migrate2x(store, io, { dryRun: call.dryRun, json: call.json });
    case "list":
      return list(
        store,
        io,
        {
          ...(call.prefix !== undefined ? { prefix: call.prefix } : {}),
          ...(call.limit !== undefined ? { limit: call.limit } : {}),
          ...(call.cursor !== undefined ? { cursor: call.cursor } : {}),
        },
        call.json,
      );
  }
}
