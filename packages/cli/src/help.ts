import type { OperatorFlag } from "@syncguard/core/operator";
import { type Command, storeFlagsOf } from "./args";
import { installedOperators, installHint, STORES } from "./stores";

const COMMANDS_HELP = `Commands:
  inspect <key>           Is the key held? Its fence, when it was acquired, when it expires;
                          and who holds the permits of the semaphore <key>.
  list                    Live locks, then live permits, one page at a time (--prefix,
                          --limit, --cursor).
  release --force <key>   Delete the key's lock whoever holds it (asks first unless --yes);
                          with --permit F, one permit of the semaphore <key>.
  fence <key>             The key's fence counter, read without changing it.
  migrate-2x              Carry syncguard 2.x fence counters over (Redis, Firestore).`;

const COMMON_HELP = `Every command:
  --timeout-ms N          Bound on connecting and on each store call (default 10000).
  --json                  Print JSON for scripts.
  --debug                 Print errors with their stacks (also: SYNCGUARD_DEBUG=1).
  -h, --help              Show help (also: syncguard <command> --help).
  -v, --version           Print the version.

Exit codes: 0 ok, 1 not held / nothing released, 2 usage, 3 store unreachable or refused,
4 store package not installed, 5 internal error. Errors never exit 0 or 1.`;

const COMMAND_HELP: Record<Command, string> = {
  inspect: `Usage: syncguard inspect <key> [store options] [--json]

Shows whether <key> is held and, if so, its fence, when it was acquired and how long until it
expires (by this machine's clock). Never shows the holder's lockId, only a hash of it.
When permits of the semaphore <key> are live (semaphores are keys of their own), also shows
how many of its permits are held and each holder: its holder id, fence and times.
Exits 0 when the key's lock or a permit of it is held, 1 when both are free.`,
  list: `Usage: syncguard list [--prefix P] [--limit N] [--cursor C] [store options] [--json]

Lists live locks, then live permits of semaphores (each with its holder id, never a lockId),
one page at a time, in the store's order.
  --prefix P              Only keys starting with P.
  --limit N               At most N locks and permits in the page (1-1000, default 100).
  --cursor C              Continue after the page that printed C.
A page may hold fewer than N locks while more follow: go on while a cursor is printed.`,
  release: `Usage: syncguard release --force <key> [--permit F] [--yes] [store options] [--json]

Deletes the live lock on <key> whoever holds it (the escape hatch for a hung holder). Fence
counters are never touched: the next holder gets a higher fence. The evicted holder finds out at
its next extend; until then it may still be working, so guard writes with the fence.
  --force                 Required: says you mean it.
  --permit F              Delete one permit of the semaphore <key> instead, named by its fence
                          (up to 15 digits) or its holder id (16 hex digits, as inspect shows
                          it). Its other permits stay.
  -y, --yes               Do not ask for confirmation (required when stdin is not a terminal).
Exits 0 when a lock (or the permit) was released, 1 when there was none or you answered no.`,
  fence: `Usage: syncguard fence <key> [store options] [--json]

Prints the fence counter <key>'s fences come from ("none" if no fence was ever issued). Reading
it changes nothing. On Redis and PostgreSQL the counter is shared by the keys of a route (the
value is at least the key's own last fence); on Firestore each key has its own.`,
  "migrate-2x": `Usage: syncguard migrate-2x [--dry-run] [store options] [--json]

Carries syncguard 2.x fence counters over to the new backend, so fences keep increasing: each
new counter is raised to the highest 2.x fence of its keys, never lowered. Stop (or drain) every
syncguard 2.x process first (see MIGRATING.md). 2.x data is read, never changed or deleted;
running it again changes nothing. Redis and Firestore (syncguard 2.x's PostgreSQL data is not
carried over).
  --dry-run               Report what would change; write nothing.
Exits 0 when done (the report is on stdout).`,
};

/** One flag in the column layout of the text above (a long name pushes its text along). */
const flagLine = (flag: OperatorFlag) => {
  const head = `  --${flag.name}${flag.value ? ` ${flag.value}` : ""}`;
  return `${head.padEnd(Math.max(26, head.length + 2))}${flag.description}`;
};

/**
 * The stores' options, from the operators of the stores installed (each owns its flags); a store
 * whose package is missing says what to install.
 */
function storesHelp(command?: Command): string {
  const sections = [
    "Store: --url redis://... (or $REDIS_URL), --url postgres://..., or --project ID.",
  ];
  for (const { kind, operator } of installedOperators()) {
    const store = STORES[kind];
    if (!operator) {
      sections.push(
        `${store.name}: ${store.package} is not installed (${installHint([store.package, store.client])}).`,
      );
      continue;
    }
    if (command === "migrate-2x" && !operator.migrationFlags) continue;
    const flags = command ? storeFlagsOf(operator, command) : operator.flags;
    sections.push(`${store.name} (${store.package}):\n${flags.map(flagLine).join("\n")}`);
  }
  return sections.join("\n\n");
}

/** `syncguard --help`, or `syncguard <command> --help`. */
export function helpText(command?: Command): string {
  const head = command
    ? COMMAND_HELP[command]
    : `Usage: syncguard <command> [<key>] [options]

Look at and clear SyncGuard locks on Redis, Firestore or PostgreSQL, and carry syncguard 2.x
fence counters over.

${COMMANDS_HELP}`;
  return `${head}\n\n${storesHelp(command)}\n\n${COMMON_HELP}`;
}
