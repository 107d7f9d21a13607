import { parseArgs } from "node:util";
import { MAX_LIST_LIMIT, normalizeKey } from "@syncguard/core";
import { CliError, EXIT_CODES } from "./exit-codes";
import { hasAtAfterHost, MISENCODED_URL } from "./url-secrets";

export const COMMANDS = ["inspect", "list", "release", "fence"] as const;
export type Command = (typeof COMMANDS)[number];

/** The options `node:util` parseArgs knows; which command takes which is checked below. */
const OPTIONS = {
  url: { type: "string", multiple: true },
  cluster: { type: "boolean" },
  "key-prefix": { type: "string" },
  project: { type: "string" },
  collection: { type: "string" },
  "fence-collection": { type: "string" },
  schema: { type: "string" },
  "table-prefix": { type: "string" },
  prefix: { type: "string" },
  limit: { type: "string" },
  cursor: { type: "string" },
  force: { type: "boolean" },
  yes: { type: "boolean", short: "y" },
  json: { type: "boolean" },
  "timeout-ms": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;

type OptionName = keyof typeof OPTIONS;

const STORE_OPTIONS: OptionName[] = [
  "url",
  "cluster",
  "key-prefix",
  "project",
  "collection",
  "fence-collection",
  "schema",
  "table-prefix",
  "timeout-ms",
  "json",
  "help",
];
/** The options each command accepts besides the store's. */
const COMMAND_OPTIONS: Record<Command, OptionName[]> = {
  inspect: [],
  fence: [],
  list: ["prefix", "limit", "cursor"],
  release: ["force", "yes"],
};

export type StoreChoice =
  | {
      kind: "redis";
      urls: string[];
      cluster: boolean;
      keyPrefix?: string;
    }
  | {
      kind: "firestore";
      projectId: string;
      collection?: string;
      fenceCollection?: string;
    }
  | {
      kind: "postgres";
      url: string;
      schema?: string;
      tablePrefix?: string;
    };

export type Invocation =
  | { kind: "help"; command?: Command }
  | { kind: "version" }
  | {
      kind: "run";
      command: Command;
      key?: string;
      store: StoreChoice;
      json: boolean;
      timeoutMs: number;
      prefix?: string;
      limit?: number;
      cursor?: string;
      yes: boolean;
    };

const DEFAULT_TIMEOUT_MS = 10_000;

function usage(message: string): CliError {
  return new CliError(EXIT_CODES.usage, message);
}

/**
 * Reads the command line: `syncguard <command> [<key>] [options]`. Everything wrong with it is a
 * usage error (exit 2) before any store is touched. `env` gives REDIS_URL when no store is named.
 */
export function parseInvocation(argv: readonly string[], env: NodeJS.ProcessEnv): Invocation {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw usage((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [name, ...rest] = positionals;
  if (values.version) return { kind: "version" };
  if (name !== undefined && !isCommand(name)) {
    throw usage(`unknown command "${name}" (commands: ${COMMANDS.join(", ")})`);
  }
  if (values.help || name === undefined) {
    return name === undefined ? { kind: "help" } : { kind: "help", command: name };
  }
  const command = name;
  const allowed = new Set<string>([...STORE_OPTIONS, ...COMMAND_OPTIONS[command]]);
  for (const option of Object.keys(values)) {
    if (!allowed.has(option)) throw usage(`${command} does not take --${option}`);
  }

  const takesKey = command !== "list";
  if (takesKey && rest.length !== 1) {
    throw usage(`${command} needs exactly one key: syncguard ${command} <key>`);
  }
  if (!takesKey && rest.length > 0)
    throw usage(`list takes no key (use --prefix): got "${rest[0]}"`);
  if (command === "release" && !values.force) {
    throw usage(
      "release needs --force: it deletes the lock whoever holds it (syncguard release --force <key>)",
    );
  }

  const limit = positiveInteger(values.limit, "--limit");
  if (limit !== undefined && limit > MAX_LIST_LIMIT) {
    throw usage(`--limit must be at most ${MAX_LIST_LIMIT}, got ${limit}`);
  }
  if (takesKey) checkKey(rest[0] as string);

  return {
    kind: "run",
    command,
    ...(takesKey ? { key: rest[0] as string } : {}),
    store: storeChoice(values, env),
    json: values.json === true,
    timeoutMs: positiveInteger(values["timeout-ms"], "--timeout-ms") ?? DEFAULT_TIMEOUT_MS,
    ...(values.prefix !== undefined ? { prefix: values.prefix } : {}),
    ...(limit !== undefined ? { limit } : {}),
    ...(values.cursor !== undefined ? { cursor: values.cursor } : {}),
    yes: values.yes === true,
  };
}

/** A key the store could never hold is a usage error before connecting (core's own rule). */
function checkKey(key: string): void {
  try {
    normalizeKey(key);
  } catch (error) {
    throw usage((error as Error).message);
  }
}

const isCommand = (name: string): name is Command => (COMMANDS as readonly string[]).includes(name);

function positiveInteger(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9]\d{0,9}$/.test(text))
    throw usage(`${option} must be a positive integer, got "${text}"`);
  return Number(text);
}

type Values = {
  url?: string[];
  cluster?: boolean;
  "key-prefix"?: string;
  project?: string;
  collection?: string;
  "fence-collection"?: string;
  schema?: string;
  "table-prefix"?: string;
};

const POSTGRES_URL = /^postgres(ql)?:\/\/./;

/**
 * Redis with --url redis:// (or $REDIS_URL), PostgreSQL with --url postgres://, Firestore with
 * --project: exactly one.
 */
function storeChoice(values: Values, env: NodeJS.ProcessEnv): StoreChoice {
  const postgresOnly = (["schema", "table-prefix"] as const).filter((o) => values[o] !== undefined);
  const postgresUrl = values.url?.some((url) => POSTGRES_URL.test(url)) === true;
  if (postgresUrl) return postgresChoice(values);
  if (postgresOnly.length > 0) {
    throw usage(`--${postgresOnly[0]} is a PostgreSQL option: give --url postgres://...`);
  }
  const redisOnly = (["cluster", "key-prefix"] as const).filter((o) => values[o] !== undefined);
  const firestoreOnly = (["collection", "fence-collection"] as const).filter(
    (o) => values[o] !== undefined,
  );
  if (values.project !== undefined) {
    if (values.url !== undefined || redisOnly.length > 0) {
      const clash = values.url !== undefined ? "url" : redisOnly[0];
      throw usage(
        `--project (Firestore) and --${clash} (Redis) cannot be combined: pick one store`,
      );
    }
    if (values.project === "") throw usage("--project needs a project id");
    return {
      kind: "firestore",
      projectId: values.project,
      ...(values.collection !== undefined ? { collection: values.collection } : {}),
      ...(values["fence-collection"] !== undefined
        ? { fenceCollection: values["fence-collection"] }
        : {}),
    };
  }
  if (firestoreOnly.length > 0) {
    throw usage(`--${firestoreOnly[0]} is a Firestore option: add --project <id>`);
  }
  const urls = values.url ?? (env.REDIS_URL ? [env.REDIS_URL] : []);
  if (urls.length === 0) {
    throw usage(
      "no store: give --url redis://host:port (or set REDIS_URL) for Redis, --url postgres://... for PostgreSQL, or --project <id> for Firestore",
    );
  }
  for (const url of urls) {
    if (!/^rediss?:\/\/./.test(url)) {
      // Only the scheme is quoted: the rest may hold a password.
      const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0];
      throw usage(
        `--url must be a redis://, rediss:// or postgres:// URL${scheme ? `, got a ${scheme} URL` : ""}`,
      );
    }
    checkUrlShape(url, "Redis");
  }
  if (urls.length > 1 && !values.cluster) {
    throw usage("several --url are root nodes of a Redis Cluster: add --cluster");
  }
  return {
    kind: "redis",
    urls,
    cluster: values.cluster === true,
    ...(values["key-prefix"] !== undefined ? { keyPrefix: values["key-prefix"] } : {}),
  };
}

/** A URL the parser cannot read, or reads with part of the password as host or path. */
function checkUrlShape(url: string, store: string): void {
  let parses = true;
  try {
    new URL(url);
  } catch {
    parses = false;
  }
  if (!parses || hasAtAfterHost(url)) {
    throw usage(`--url is not a ${store} URL that can be read as given: ${MISENCODED_URL}`);
  }
}

function postgresChoice(values: Values): StoreChoice {
  const urls = values.url ?? [];
  // The client's own parser decides whether the rest parses (it takes URLs WHATWG refuses).
  if (urls[0] !== undefined && hasAtAfterHost(urls[0])) {
    throw usage(`--url is not a PostgreSQL URL that can be read as given: ${MISENCODED_URL}`);
  }
  const foreign = (
    ["cluster", "key-prefix", "project", "collection", "fence-collection"] as const
  ).find((o) => values[o] !== undefined);
  if (foreign) throw usage(`--${foreign} is not a PostgreSQL option`);
  if (urls.length > 1) throw usage("PostgreSQL takes one --url");
  return {
    kind: "postgres",
    url: urls[0] as string,
    ...(values.schema !== undefined ? { schema: values.schema } : {}),
    ...(values["table-prefix"] !== undefined ? { tablePrefix: values["table-prefix"] } : {}),
  };
}
