import { readFileSync } from "node:fs";
import path from "node:path";
import { type Command, type Invocation, parseInvocation } from "./args";
import { fence } from "./commands/fence";
import { inspect } from "./commands/inspect";
import { list } from "./commands/list";
import { checkConfirmable, release } from "./commands/release";
import { CliError, EXIT_CODES, type ExitCode } from "./exit-codes";
import type { CliIO } from "./io";
import { openStore, type Store } from "./stores";

const STORE_HELP = `Store (one of):
  --url URL               Redis (default: $REDIS_URL). Repeat it for the root nodes of a cluster.
                          A postgres:// URL picks PostgreSQL.
  --cluster               Connect as a Redis Cluster client.
  --key-prefix P          The Redis backend's keyPrefix (default "syncguard").
  --project ID            Firestore project (honours FIRESTORE_EMULATOR_HOST).
  --collection C          Firestore lock collection (default "locks").
  --fence-collection C    Firestore fence collection (default "fence_counters").
  --schema S              PostgreSQL schema of the lock tables (default "public").
  --table-prefix P        PostgreSQL table prefix (default "syncguard_").
  --timeout-ms N          Bound on connecting and on each store call (default 10000).

Output:
  --json                  Print JSON for scripts.
  -h, --help              Show help (also: syncguard <command> --help).
  -v, --version           Print the version.

Exit codes: 0 ok, 1 not held / nothing released, 2 usage, 3 store unreachable or refused,
4 store package not installed, 5 internal error.`;

const HELP: Record<Command | "main", string> = {
  main: `Usage: syncguard <command> [<key>] [options]

Look at and clear SyncGuard locks on Redis, Firestore or PostgreSQL.

Commands:
  inspect <key>           Is the key held? Its fence, when it was acquired, when it expires.
  list                    Live locks, one page at a time (--prefix, --limit, --cursor).
  release --force <key>   Delete the key's lock whoever holds it (asks first unless --yes).
  fence <key>             The key's fence counter, read without changing it.

${STORE_HELP}`,
  inspect: `Usage: syncguard inspect <key> [store options] [--json]

Shows whether <key> is held and, if so, its fence, when it was acquired and how long until it
expires (by this machine's clock). Never shows the holder's lockId, only a hash of it.
Exits 0 when the key is held, 1 when it is free.

${STORE_HELP}`,
  list: `Usage: syncguard list [--prefix P] [--limit N] [--cursor C] [store options] [--json]

Lists live locks, one page at a time, in the store's order.
  --prefix P              Only keys starting with P.
  --limit N               At most N locks in the page (1-1000, default 100).
  --cursor C              Continue after the page that printed C.
A page may hold fewer than N locks while more follow: go on while a cursor is printed.

${STORE_HELP}`,
  release: `Usage: syncguard release --force <key> [--yes] [store options] [--json]

Deletes the live lock on <key> whoever holds it (the escape hatch for a hung holder). Fence
counters are never touched: the next holder gets a higher fence. The evicted holder finds out at
its next extend; until then it may still be working, so guard writes with the fence.
  --force                 Required: says you mean it.
  -y, --yes               Do not ask for confirmation (required when stdin is not a terminal).
Exits 0 when a lock was released, 1 when there was none or you answered no.

${STORE_HELP}`,
  fence: `Usage: syncguard fence <key> [store options] [--json]

Prints the fence counter <key>'s fences come from ("none" if no fence was ever issued). Reading
it changes nothing. On Redis and PostgreSQL the counter is shared by the keys of a route (the
value is at least the key's own last fence); on Firestore each key has its own.

${STORE_HELP}`,
};

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
  let invocation: Invocation;
  try {
    invocation = parseInvocation(argv, io.env ?? process.env);
  } catch (error) {
    return fail(io, error);
  }
  if (invocation.kind === "help") {
    io.stdout.write(`${HELP[invocation.command ?? "main"]}\n`);
    return EXIT_CODES.ok;
  }
  if (invocation.kind === "version") {
    io.stdout.write(`${version()}\n`);
    return EXIT_CODES.ok;
  }
  let store: Store | undefined;
  try {
    if (invocation.command === "release") checkConfirmable(io, invocation.yes);
    store = await openStore(invocation.store, invocation.timeoutMs, stderrLogger(io));
    return await run(store, io, invocation);
  } catch (error) {
    return fail(io, error);
  } finally {
    await store?.close();
  }
}

/** The backends' warnings (rare: a misconfigured store) as lines on the CLI's stderr. */
const stderrLogger = (io: CliIO) => ({
  warn: (message: string) => void io.stderr.write(`syncguard: warning: ${message}\n`),
  error: (message: string) => void io.stderr.write(`syncguard: error: ${message}\n`),
});

function run(
  store: Store,
  io: CliIO,
  call: Extract<Invocation, { kind: "run" }>,
): Promise<ExitCode> {
  const key = call.key as string;
  switch (call.command) {
    case "inspect":
      return inspect(store, io, key, call.json);
    case "fence":
      return fence(store, io, key, call.json);
    case "release":
      return release(store, io, key, { yes: call.yes, json: call.json });
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

/** LockError codes (by name: the error may come from another copy of core) to exit codes. */
const STORE_CODES = new Set(["ServiceUnavailable", "NetworkTimeout", "AuthFailed", "RateLimited"]);

function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown };
  if (name === "LockError" && typeof code === "string") {
    if (code === "InvalidArgument") return EXIT_CODES.usage;
    if (STORE_CODES.has(code)) return EXIT_CODES.store;
  }
  return EXIT_CODES.internal;
}

function fail(io: CliIO, error: unknown): ExitCode {
  const exitCode = exitCodeOf(error);
  const message = error instanceof Error ? error.message || error.name : String(error);
  const { code } = (error ?? {}) as { code?: unknown };
  const label = error instanceof CliError || typeof code !== "string" ? "" : `${code}: `;
  io.stderr.write(`syncguard: ${label}${message}\n`);
  if (exitCode === EXIT_CODES.usage && !(error as { code?: unknown })?.code) {
    io.stderr.write("Run syncguard --help for usage.\n");
  }
  return exitCode;
}
