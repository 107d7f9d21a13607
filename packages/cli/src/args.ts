import { parseArgs } from "node:util";
import { closestName, formatFence, MAX_LIST_LIMIT, normalizeKey } from "@syncguard/core/driver";
import type { OperatorFlag, OperatorFlagValues, StoreOperator } from "@syncguard/core/operator";
import { CliError, EXIT_CODES } from "./exit-codes";
import type { StoreHints } from "./stores";

export const COMMANDS = ["inspect", "list", "release", "fence", "migrate-2x"] as const;
export type Command = (typeof COMMANDS)[number];

type OptionSpec = { type: "string" | "boolean"; multiple?: boolean; short?: string };

/** The CLI's own options; which command takes which is below. The stores' come from operators. */
const CLI_OPTIONS: Record<string, OptionSpec> = {
  prefix: { type: "string" },
  limit: { type: "string" },
  cursor: { type: "string" },
  force: { type: "boolean" },
  permit: { type: "string" },
  yes: { type: "boolean", short: "y" },
  "dry-run": { type: "boolean" },
  json: { type: "boolean" },
  "timeout-ms": { type: "string" },
  debug: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
};

/** Every command takes these besides its own. */
const COMMON_OPTIONS = ["json", "timeout-ms", "debug", "help"];
const COMMAND_OPTIONS: Record<Command, string[]> = {
  inspect: [],
  fence: [],
  list: ["prefix", "limit", "cursor"],
  release: ["force", "yes", "permit"],
  "migrate-2x": ["dry-run"],
};

/** What the command line asks before any store is chosen. */
export type Request =
  | { kind: "help"; command?: Command }
  | { kind: "version" }
  | { kind: "run"; command: Command; hints: StoreHints };

/** A command to run, its store's flags read for the store's operator. */
export interface Invocation {
  command: Command;
  key?: string;
  json: boolean;
  timeoutMs: number;
  prefix?: string;
  limit?: number;
  cursor?: string;
  /** `release --permit`: the one permit of the semaphore <key> to force out. */
  permit?: PermitChoice;
  yes: boolean;
  dryRun: boolean;
  /** The store's flags, by their names (an old spelling already mapped to its name). */
  storeFlags: OperatorFlagValues;
  /** Old spellings used: [old, name]. */
  renamed: [string, string][];
}

const DEFAULT_TIMEOUT_MS = 10_000;

const usage = (message: string) => new CliError(EXIT_CODES.usage, message);

const isCommand = (name: string): name is Command => (COMMANDS as readonly string[]).includes(name);

/**
 * First look at the command line: help, version, the command, and what picks the store. Loose
 * on purpose (a store's own options are not known yet): `readInvocation` checks it all once the
 * store's operator is loaded.
 */
export function readRequest(argv: readonly string[], env: NodeJS.ProcessEnv): Request {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      url: { type: "string", multiple: true },
      project: { type: "string" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
    },
    strict: false,
    allowPositionals: true,
  });
  if (values.version === true) return { kind: "version" };
  // An undeclared option's value may come first: the command is the first command name.
  const command = positionals.find(isCommand);
  if (command === undefined && positionals.length > 0) {
    throw usage(`unknown command "${positionals[0]}" (commands: ${COMMANDS.join(", ")})`);
  }
  if (command === undefined) return { kind: "help" };
  if (values.help === true) return { kind: "help", command };
  const urls = Array.isArray(values.url) ? values.url.filter((u) => typeof u === "string") : [];
  if (urls.length === 0 && values.project === undefined && !env.REDIS_URL) {
    checkStoreOptionTypos(argv, command);
  }
  return {
    kind: "run",
    command,
    hints: {
      urls,
      ...(env.REDIS_URL ? { envUrl: env.REDIS_URL } : {}),
      project: values.project !== undefined,
    },
  };
}

/** The options that name a store: a misspelling of one is why no store was named. */
const STORE_PICKING_OPTIONS = ["url", "project"];

/** `--ulr redis://...` with no store named: say which option was meant, not "no store". */
function checkStoreOptionTypos(argv: readonly string[], command: Command): void {
  for (const name of optionNames(argv)) {
    if (name in CLI_OPTIONS || STORE_PICKING_OPTIONS.includes(name)) continue;
    const meant = closestName(name, STORE_PICKING_OPTIONS);
    if (meant !== undefined) {
      throw usage(`--${name} is not an option of ${command}; did you mean --${meant}?`);
    }
  }
}

/** The long option names on a command line, as node:util reads them. */
function optionNames(argv: readonly string[]): string[] {
  const { tokens } = parseArgs({
    args: [...argv],
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  return tokens.flatMap((token) => (token.kind === "option" ? [token.name] : []));
}

/**
 * --debug on the command line or SYNCGUARD_DEBUG in the environment (any value but "" and "0"):
 * errors are printed with their stacks. Read before the arguments are checked, so that an error
 * in them, or from outside the run, shows its stack too.
 */
export function debugRequested(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  const variable = env.SYNCGUARD_DEBUG;
  if (variable !== undefined && variable !== "" && variable !== "0") return true;
  try {
    return optionNames(argv).includes("debug");
  } catch {
    return false;
  }
}

/** The store flags a command takes: the operator's, and for migrate-2x its migration flags. */
export function storeFlagsOf(operator: StoreOperator, command: Command): readonly OperatorFlag[] {
  return command === "migrate-2x"
    ? [...operator.flags, ...(operator.migrationFlags ?? [])]
    : operator.flags;
}

/**
 * Reads the command line strictly, with the CLI's options for `command` and the store's flags.
 * Everything wrong with it is a usage error (exit 2) before any store is touched.
 */
export function readInvocation(
  argv: readonly string[],
  command: Command,
  operator: StoreOperator,
): Invocation {
  const flags = storeFlagsOf(operator, command);
  const own = [...COMMON_OPTIONS, ...COMMAND_OPTIONS[command]];
  const options: Record<string, OptionSpec> = {};
  for (const name of own) options[name] = CLI_OPTIONS[name] as OptionSpec;
  for (const flag of flags) {
    for (const name of [flag.name, ...(flag.aliases ?? [])]) {
      options[name] = { type: flag.type, ...(flag.multiple ? { multiple: true } : {}) };
    }
  }
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw usage(optionError(error, command, operator, flags));
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const [, ...rest] = parsed.positionals;

  const takesKey = command !== "list" && command !== "migrate-2x";
  if (takesKey && rest.length !== 1) {
    throw usage(`${command} needs exactly one key: syncguard ${command} <key>`);
  }
  if (!takesKey && rest.length > 0) {
    throw usage(
      `${command} takes no key${command === "list" ? " (use --prefix)" : ""}: got "${rest[0]}"`,
    );
  }
  if (command === "release" && !values.force) {
    throw usage(
      "release needs --force: it deletes the lock whoever holds it (syncguard release --force <key>)",
    );
  }
  const permit = values.permit === undefined ? undefined : permitChoice(String(values.permit));
  const limit = positiveInteger(values.limit, "--limit");
  if (limit !== undefined && limit > MAX_LIST_LIMIT) {
    throw usage(`--limit must be at most ${MAX_LIST_LIMIT}, got ${limit}`);
  }
  if (takesKey) checkKey(rest[0] as string);

  const storeFlags: Record<string, string | boolean | readonly string[]> = {};
  const renamed: [string, string][] = [];
  for (const flag of flags) {
    for (const name of [...(flag.aliases ?? []), flag.name]) {
      const value = values[name];
      if (value === undefined) continue;
      if (name !== flag.name) renamed.push([name, flag.name]);
      storeFlags[flag.name] = value;
    }
  }
  const text = (name: string) =>
    typeof values[name] === "string" ? (values[name] as string) : undefined;
  return {
    command,
    ...(takesKey ? { key: rest[0] as string } : {}),
    json: values.json === true,
    timeoutMs: positiveInteger(values["timeout-ms"], "--timeout-ms") ?? DEFAULT_TIMEOUT_MS,
    ...(text("prefix") !== undefined ? { prefix: text("prefix") as string } : {}),
    ...(limit !== undefined ? { limit } : {}),
    ...(text("cursor") !== undefined ? { cursor: text("cursor") as string } : {}),
    ...(permit !== undefined ? { permit } : {}),
    yes: values.yes === true,
    dryRun: values["dry-run"] === true,
    storeFlags,
    renamed,
  };
}

/** node:util's message for a bad option, said in the CLI's terms. */
function optionError(
  error: unknown,
  command: Command,
  operator: StoreOperator,
  flags: readonly OperatorFlag[],
): string {
  const { code, message } = error as { code?: unknown; message: string };
  const name = /'(-[^' ]+)/.exec(message)?.[1]?.replace(/^-+/, "");
  if (code !== "ERR_PARSE_ARGS_UNKNOWN_OPTION" || name === undefined) return message;
  if (name in CLI_OPTIONS) return `${command} does not take --${name}`;
  const valid = [
    ...COMMON_OPTIONS,
    ...COMMAND_OPTIONS[command],
    ...flags.flatMap((flag) => [flag.name, ...(flag.aliases ?? [])]),
  ];
  const meant = closestName(name, valid);
  if (meant !== undefined) {
    return `--${name} is not an option of ${command} on ${operator.store}; did you mean --${meant}?`;
  }
  const own = flags.map((flag) => `--${flag.name}`).join(", ");
  return `--${name} is not an option of ${command} on ${operator.store} (${operator.store} takes ${own})`;
}

/** A permit as `--permit` names it: by its fence, or by its holder id (never by lockId). */
export type PermitChoice = { readonly fence: string } | { readonly holderId: string };

/**
 * `--permit`: a fence (1 to 15 digits, leading zeros optional: "42" or "000000000000042") or a
 * holder id (16 hex digits, as `inspect` and `list` show it). The lengths never overlap.
 */
function permitChoice(text: string): PermitChoice {
  if (/^\d{1,15}$/.test(text) && !/^0+$/.test(text)) return { fence: formatFence(BigInt(text)) };
  if (/^[0-9a-f]{16}$/i.test(text)) return { holderId: text.toLowerCase() };
  throw usage(
    `--permit must be a permit's fence (up to 15 digits) or its holder id (16 hex digits, as inspect shows it)`,
  );
}

/** A key the store could never hold is a usage error before connecting (core's own rule). */
function checkKey(key: string): void {
  try {
    normalizeKey(key);
  } catch (error) {
    throw usage((error as Error).message);
  }
}

function positiveInteger(value: unknown, option: string): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  if (!/^[1-9]\d{0,9}$/.test(text)) {
    throw usage(`${option} must be a positive integer, got "${text}"`);
  }
  return Number(text);
}
