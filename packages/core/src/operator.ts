/**
 * The contract between an operator tool (the `syncguard` CLI) and a store package's `./operator`
 * entry. The store's module owns everything about reaching its store: which command-line flags it
 * takes and what they mean, reading and validating them, connecting with whichever client library
 * is installed, the secrets in its settings (as that library parses them), the backend it builds
 * and closing it. The tool owns the rest: argument parsing, commands, output, exit codes, and
 * keeping the reported secrets out of everything it prints.
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { LockError } from "./errors";
import type { forceRelease } from "./force-release";
import type { listLocks, readFence } from "./inventory";
import type { Logger } from "./logger";
import type { getByKey } from "./lookup";
import type { forceReleasePermit, getSemaphore } from "./semaphore-operators";
import type { LockBackend } from "./types";

/** One command-line flag of a store (`--key-prefix P`, `--cluster`). */
export interface OperatorFlag {
  /** The long name without dashes, kebab-case: "key-prefix". */
  readonly name: string;
  readonly type: "string" | "boolean";
  /** May be given more than once; the values arrive as an array, in order. */
  readonly multiple?: boolean;
  /** One line for --help, with the default. */
  readonly description: string;
  /** The value's placeholder in --help ("P", "URL"). Strings only. */
  readonly value?: string;
  /** Older spellings still accepted for now; a tool says which name replaces them. */
  readonly aliases?: readonly string[];
}

/** The flags as parsed: by `OperatorFlag.name`, absent when not given. */
export type OperatorFlagValues = Readonly<Record<string, string | boolean | readonly string[]>>;

/** What the tool hands to `configure`. */
export interface OperatorInput {
  readonly flags: OperatorFlagValues;
  /** The environment (REDIS_URL, FIRESTORE_EMULATOR_HOST, PGPASSWORD...). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Bound on connecting and on closing, in ms; each store call is bounded by its signal. */
  readonly timeoutMs: number;
  /** Where the backend's own warnings go. */
  readonly logger: Logger;
}

/** Core's operator functions, from the copy of core the store's backend was built with. */
export interface OperatorCore {
  readonly getByKey: typeof getByKey;
  readonly listLocks: typeof listLocks;
  readonly readFence: typeof readFence;
  readonly forceRelease: typeof forceRelease;
  /** Semaphore holders (ADR-041); absent in a store package built on an older core. */
  readonly getSemaphore?: typeof getSemaphore;
  /** Forces one permit out (ADR-041); absent in a store package built on an older core. */
  readonly forceReleasePermit?: typeof forceReleasePermit;
}

/** A store's 2.x migration report, for people and for scripts. */
export interface OperatorMigrationReport {
  readonly dryRun: boolean;
  /** The store's own report (its `migrateFrom2x` result), printed as is as JSON. */
  readonly report: object;
  /** Label and value of each count, in order. */
  readonly counts: readonly (readonly [label: string, value: string])[];
  /** What needs a look: skipped names, counters not carried over. One line each. */
  readonly notes: readonly string[];
}

/** A connected store. */
export interface OperatorSession {
  readonly backend: LockBackend;
  readonly core: OperatorCore;
  /**
   * Carries syncguard 2.x fence counters over (the store's `migrateFrom2x`, with the migration
   * flags given to `configure`). Absent on a store 2.x had no migration for.
   */
  migrateFrom2x?(options: { readonly dryRun: boolean }): Promise<OperatorMigrationReport>;
  /** Closes the backend and the client; bounded, never rejects. */
  close(): Promise<void>;
}

/** Validated settings, not connected yet. */
export interface OperatorPlan {
  /**
   * Every secret in the settings (passwords, tokens) in the form the client library reads it:
   * a tool must never print one.
   */
  readonly secrets: readonly string[];
  /** Where it connects, safe to print (no password, no query string). */
  readonly target: string;
  /**
   * Connects, bounded by `timeoutMs`, and builds the backend. Rejects with the client's error
   * when the store cannot be reached (nothing is left open then).
   */
  open(): Promise<OperatorSession>;
}

/** A store package's `./operator` entry exports one of these as `operator`. */
export interface StoreOperator {
  /** The store's name for people: "Redis". */
  readonly store: string;
  /** Flags of every command: how to reach the store and name its data. */
  readonly flags: readonly OperatorFlag[];
  /** Extra flags of `migrate-2x`; absent when 2.x had no such store. */
  readonly migrationFlags?: readonly OperatorFlag[];
  /**
   * Reads and validates the flags before any I/O (LockError "InvalidArgument" with a message
   * that quotes no secret); throws `clientNotInstalled()` when no client library is installed.
   */
  configure(input: OperatorInput): OperatorPlan;
}

/** The `code` of the error `clientNotInstalled` makes. */
export const CLIENT_NOT_INSTALLED = "ClientNotInstalled";

/**
 * The error an operator throws when its store's client library is missing: `packages` are what
 * to install beside the store package. Recognised by its `code` (a tool may load another copy of
 * core).
 */
export function clientNotInstalled(
  message: string,
  packages: readonly string[],
): Error & { code: typeof CLIENT_NOT_INSTALLED; packages: readonly string[] } {
  return Object.assign(new Error(message), {
    code: CLIENT_NOT_INSTALLED as typeof CLIENT_NOT_INSTALLED,
    packages,
  });
}

/** A client library a store can connect with: its package name and how people know it. */
export interface ClientLibraryChoice<L extends string> {
  readonly name: L;
  /** "redis (node-redis)": the package name, with the library's common name when they differ. */
  readonly label: string;
}

/**
 * The client library of a store's `--client` flag (`wanted`), or the first of `libraries`
 * installed when the flag is absent. An unknown name is InvalidArgument; a missing library is
 * `clientNotInstalled`, naming the first library as the one to install.
 */
export function chooseClientLibrary<L extends string>(
  wanted: string | undefined,
  libraries: readonly [ClientLibraryChoice<L>, ...ClientLibraryChoice<L>[]],
  isInstalled: (name: L) => boolean,
  store: string,
): L {
  const names = libraries.map((library) => library.name);
  if (wanted !== undefined && !(names as string[]).includes(wanted)) {
    throw new LockError(
      "InvalidArgument",
      `--client must be ${names.join(" or ")}, not ${JSON.stringify(wanted)}`,
    );
  }
  const candidates = wanted === undefined ? names : [wanted as L];
  const found = candidates.find(isInstalled);
  if (found !== undefined) return found;
  if (wanted !== undefined) throw clientNotInstalled(`${wanted} is not installed`, [wanted]);
  const labels = libraries.map((library) => library.label);
  const missing =
    labels.length > 1
      ? `neither ${labels.join(" nor ")} is installed; ${store} needs one`
      : `${labels[0]} is not installed; ${store} needs it`;
  throw clientNotInstalled(missing, [libraries[0].name]);
}

/** A store package's optional peers (its client libraries), resolved from the package itself. */
export interface PeerModules {
  /** Whether `name` is installed where the package can load it (without loading it). */
  installed(name: string): boolean;
  /** Loads `name` (a package name, or a path from `resolve`). */
  load<T>(name: string): T;
  /** Where `name` resolves, looked up beside the package or beside `besides` (a peer's own dependency). */
  resolve(name: string, besides?: string): string;
}

/**
 * The client libraries as the package at `filename` (the operator module's own `__filename`)
 * resolves them: where an install puts them, beside the store package, as the application's
 * own imports find them.
 */
export function peerModules(filename: string): PeerModules {
  const requirePeer = createRequire(filename);
  const resolve = (name: string, besides?: string) =>
    besides === undefined
      ? requirePeer.resolve(name)
      : requirePeer.resolve(name, { paths: [dirname(requirePeer.resolve(besides))] });
  return {
    installed(name) {
      try {
        resolve(name);
        return true;
      } catch {
        return false;
      }
    },
    load: <T>(name: string) => requirePeer(name) as T,
    resolve,
  };
}

// ---- Connection URLs: what a tool must never print, and what it may.

/**
 * The secrets any connection URL can carry, read with the WHATWG URL parser (the one node-redis,
 * ioredis, node-postgres and postgres.js all build on): the password of the user info and every
 * query parameter whose name says it holds one (`password`, `sslpassword`, `auth_token`...).
 * A URL that does not parse at all is a secret as a whole: nothing can tell which part of it is
 * the password. A store's operator adds what its client library reads besides (`PGPASSWORD`,
 * a parameter only that library honours): see `secretSettings`.
 */
export function connectionUrlSecrets(text: string): string[] {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return [text];
  }
  // Misread (see isMisreadUrl): refused before use, and a secret whole meanwhile.
  const secrets = isMisreadUrl(text) ? [text] : [];
  secrets.push(url.password, percentDecode(url.password), typedPassword(text, url) ?? "");
  for (const [name, value] of url.searchParams) {
    if (SECRET_NAME.test(name)) secrets.push(value);
  }
  // As typed, too: the parser decodes query values, a library may quote them encoded. And the
  // rest of the query after it: an unencoded "&" or "#" ends the value early, so the password
  // as the user meant it may run on into what the parser takes for other parameters.
  for (const query of [`${url.search.slice(1)}${url.hash}`, typedQuery(text, url) ?? ""]) {
    let offset = 0;
    for (const pair of query.split("&")) {
      const equals = pair.indexOf("=");
      if (equals >= 0 && SECRET_NAME.test(percentDecode(pair.slice(0, equals)))) {
        secrets.push(pair.slice(equals + 1), query.slice(offset + equals + 1));
      }
      offset += pair.length + 1;
    }
  }
  return secrets.filter((secret) => secret !== "");
}

/**
 * The password exactly as typed (the parser keeps typed escapes and encodes raw characters, so a
 * password with both reads back as neither): the user info of the authority, as the URL standard
 * delimits it, accepted only when the parser's own encoding of it gives the parsed password.
 */
function typedPassword(text: string, url: URL): string | undefined {
  const start = text.indexOf("//");
  if (start < 0) return undefined;
  const rest = text.slice(start + 2);
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const userinfo = authority.slice(0, Math.max(0, authority.lastIndexOf("@")));
  const colon = userinfo.indexOf(":");
  if (colon < 0) return undefined;
  const typed = userinfo.slice(colon + 1);
  const check = new URL("x://h");
  check.password = typed;
  return check.password === url.password ? typed : undefined;
}

/** The query (and fragment) as typed, accepted only when the parser's encoding of it agrees. */
function typedQuery(text: string, url: URL): string | undefined {
  const start = text.indexOf("?");
  if (start < 0 || url.search === "") return undefined;
  const hash = text.indexOf("#", start);
  const typed = hash < 0 ? text.slice(start + 1) : text.slice(start + 1, hash);
  const check = new URL("x://h");
  check.search = typed;
  return check.search === url.search ? `${typed}${hash < 0 ? "" : text.slice(hash)}` : undefined;
}

/** Names of parsed settings that hold a secret (matched on names, never on printed text). */
const SECRET_NAME = /pass|secret|token|credential/i;

/**
 * The string values of parsed settings whose names say they hold a secret (password,
 * sslpassword, sentinelPassword...): what a client library's own parser found, to report in
 * `OperatorPlan.secrets`.
 */
export function secretSettings(settings: unknown): string[] {
  if (typeof settings !== "object" || settings === null) return [];
  return Object.entries(settings as Record<string, unknown>)
    .filter(([name, value]) => SECRET_NAME.test(name) && typeof value === "string" && value !== "")
    .map(([, value]) => value as string);
}

/**
 * Percent-decoding that never gives up: each run of `%XX` escapes is decoded character by
 * character where the bytes make valid UTF-8, and an escape that does not is kept as typed
 * (decodeURIComponent would refuse the whole text). So a password typed with a raw "%" next to
 * characters the URL parser encoded reads back as typed.
 */
function percentDecode(text: string): string {
  return text.replace(/(?:%[0-9a-f]{2})+/gi, decodeEscapes);
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

function decodeEscapes(run: string): string {
  const bytes = Buffer.from(run.replace(/%/g, ""), "hex");
  let out = "";
  for (let i = 0; i < bytes.length; ) {
    const size = utf8Length(bytes[i] as number);
    if (size > 0 && i + size <= bytes.length) {
      try {
        out += UTF8.decode(bytes.subarray(i, i + size));
        i += size;
        continue;
      } catch {
        // not valid UTF-8: keep this escape as typed
      }
    }
    out += run.slice(i * 3, i * 3 + 3);
    i += 1;
  }
  return out;
}

/** Bytes of the UTF-8 sequence a lead byte starts (0: not a lead byte). */
function utf8Length(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/**
 * A URL as a tool may print it: scheme, user, host, port and path as the parser read them, the
 * password as "***", no query string (it may hold one too). Undefined when it does not parse.
 */
export function printableUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const user = url.username || url.password ? `${url.username}${url.password ? ":***" : ""}@` : "";
  return `${url.protocol}//${user}${url.host}${url.pathname === "/" ? "" : url.pathname}`;
}

/**
 * True when an "@" sits after the host: a password with an unencoded "/", "?" or "#" ends the
 * user info early, the parser then reads part of the password as port, path or query, and the
 * connection would go somewhere else with the password in plain sight. Such a URL is refused
 * without quoting it.
 */
export function isMisreadUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return `${url.pathname}${url.search}${url.hash}`.includes("@");
  } catch {
    return false;
  }
}

/** What to tell the user about a URL the parser cannot read or misreads (never quoting it). */
export const MISENCODED_URL_HINT =
  'percent-encode reserved characters in the user name and password ("/" as %2F, "?" as %3F, "#" as %23, "@" as %40, "%" as %25)';

/**
 * What is wrong with a connection URL, said without quoting any of it, or undefined when the URL
 * parser reads it as written: a user name or password with an unencoded reserved character (the
 * parse would put part of it in the host, port or path), a port that is not a number from 0 to
 * 65535, a host the parser refuses, or a "%" in the user name or password that starts no
 * percent-escape (the clients decode them, and would fail after the tool had started).
 * `option` names the URL in the message ("--url").
 */
export function urlProblem(text: string, option: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return unreadableUrlProblem(text, option);
  }
  if (isMisreadUrl(text)) return `${option} cannot be read as given: ${MISENCODED_URL_HINT}`;
  for (const [part, value] of [
    ["user name", url.username],
    ["password", url.password],
  ] as const) {
    try {
      decodeURIComponent(value);
    } catch {
      return `the ${part} in ${option} has a "%" that is not a percent-escape of UTF-8 (two hex digits): write a "%" as %25`;
    }
  }
  return undefined;
}

/** Why the parser refused `text`: the text after the authority, then the port, then the host. */
function unreadableUrlProblem(text: string, option: string): string {
  const start = text.indexOf("//");
  const rest = start < 0 ? "" : text.slice(start + 2);
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  // An "@" after the authority: the user info ended early at an unencoded "/", "?" or "#".
  if (end >= 0 && rest.slice(end).includes("@")) {
    return `${option} cannot be read as given: ${MISENCODED_URL_HINT}`;
  }
  const hostPort = authority.slice(authority.lastIndexOf("@") + 1);
  const [, host, port] = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(hostPort) ?? [];
  if (port !== undefined && (!/^\d*$/.test(port) || Number(port) > 65_535)) {
    return `${option} has an invalid port: it must be a number from 0 to 65535 after the host`;
  }
  if (!host) return `${option} has no host`;
  return `${option} cannot be read as a URL: check the host name, and ${MISENCODED_URL_HINT}`;
}

// ---- The per-store migration commands (deprecated aliases of `syncguard migrate-2x`).

/**
 * Runs a store's 2.x migration from command-line arguments: what the deprecated
 * `syncguard-redis-migrate-2x` and `syncguard-firestore-migrate-2x` commands do until they are
 * removed (use `syncguard migrate-2x` from @syncguard/cli). Prints a deprecation notice, then
 * the report (or `--json`), and resolves the exit code: 0 done, 1 the migration failed, 2 bad
 * usage. Error messages are printed without the secrets the operator reported.
 */
export async function runMigrationCommand(
  operator: StoreOperator,
  command: { readonly name: string; readonly usage: string; readonly argv: readonly string[] },
  io: {
    readonly env: Readonly<Record<string, string | undefined>>;
    readonly stdout: { write(text: string): unknown };
    readonly stderr: { write(text: string): unknown };
  },
): Promise<number> {
  const print = (text: string) => io.stdout.write(`${text}\n`);
  const fail = (text: string) => io.stderr.write(`${text}\n`);
  const hint = `Run ${command.name} --help for usage.`;
  fail(`${command.name} is deprecated: use \`syncguard migrate-2x\` (@syncguard/cli).`);
  const flags = [...operator.flags, ...(operator.migrationFlags ?? [])];
  const options: Record<
    string,
    { type: "string" | "boolean"; multiple?: boolean; short?: string }
  > = {
    "dry-run": { type: "boolean" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  };
  for (const flag of flags) {
    for (const name of [flag.name, ...(flag.aliases ?? [])]) {
      options[name] = { type: flag.type, ...(flag.multiple ? { multiple: true } : {}) };
    }
  }
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    values = parseArgs({ args: [...command.argv], options, strict: true }).values;
  } catch (error) {
    fail(`${(error as Error).message}\n${hint}`);
    return 2;
  }
  if (values.help) {
    print(command.usage);
    return 0;
  }
  const given: Record<string, string | boolean | readonly string[]> = {};
  for (const flag of flags) {
    for (const name of [...(flag.aliases ?? []), flag.name]) {
      const value = values[name];
      if (value === undefined) continue;
      if (name !== flag.name) fail(`--${name} is now --${flag.name}.`);
      given[flag.name] = value as string | boolean | string[];
    }
  }
  let plan: OperatorPlan;
  try {
    plan = operator.configure({
      flags: given,
      env: io.env,
      timeoutMs: 10_000,
      logger: { warn: fail, error: fail },
    });
  } catch (error) {
    fail(`${(error as Error).message}\n${hint}`);
    return 2;
  }
  const secrets = [...plan.secrets].sort((a, b) => b.length - a.length);
  const scrub = (text: string) => secrets.reduce((out, s) => out.split(s).join("***"), text);
  let session: OperatorSession | undefined;
  try {
    session = await plan.open();
    if (!session.migrateFrom2x) throw new LockError("InvalidArgument", "no 2.x migration here");
    const report = await session.migrateFrom2x({ dryRun: values["dry-run"] === true });
    if (values.json) {
      print(JSON.stringify(report.report));
    } else {
      const width = Math.max(...report.counts.map(([label]) => label.length)) + 1;
      print(report.dryRun ? "Dry run: nothing was written." : "Migration done.");
      for (const [label, value] of report.counts) print(`  ${`${label}:`.padEnd(width)} ${value}`);
      for (const note of report.notes) print(note);
    }
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message || error.name : String(error);
    const code = (error as { code?: unknown } | null)?.code;
    fail(scrub(`Migration failed: ${typeof code === "string" ? `[${code}] ` : ""}${message}`));
    return 1;
  } finally {
    await session?.close();
  }
}
