import type { LockBackend } from "@syncguard/core";
import type {
  OperatorCore,
  OperatorMigrationReport,
  OperatorPlan,
  StoreOperator,
} from "@syncguard/core/operator";
import { CliError, EXIT_CODES } from "./exit-codes";
import { exitCodeOfLockCode, messageOf } from "./failure";

/**
 * The stores the CLI knows by name, and the package whose `./operator` entry reaches each. Which
 * one a command line means is the CLI's decision (stores.ts `chooseStore`); everything else about
 * a store (its flags, client libraries, secrets, connection) is its operator's.
 */
export const STORES = {
  redis: { name: "Redis", package: "@syncguard/redis", client: "redis" },
  firestore: {
    name: "Firestore",
    package: "@syncguard/firestore",
    client: "@google-cloud/firestore",
  },
  postgres: { name: "PostgreSQL", package: "@syncguard/postgres", client: "pg" },
} as const;

export type StoreKind = keyof typeof STORES;

/** What picks a store: the schemes of the --url values (and REDIS_URL), and --project. */
export interface StoreHints {
  readonly urls: readonly string[];
  readonly envUrl?: string;
  readonly project: boolean;
}

const usage = (message: string) => new CliError(EXIT_CODES.usage, message);

const schemeOf = (url: string) => /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0]?.toLowerCase();

/**
 * `--url postgres://` is PostgreSQL, `--url redis://` (or $REDIS_URL) Redis, `--project`
 * Firestore: exactly one. Only a URL's scheme is ever quoted back.
 */
export function chooseStore(hints: StoreHints): StoreKind {
  const kinds = new Set<StoreKind>();
  for (const url of hints.urls) {
    const scheme = schemeOf(url);
    if (scheme === "redis:" || scheme === "rediss:") kinds.add("redis");
    else if (scheme === "postgres:" || scheme === "postgresql:") kinds.add("postgres");
    else {
      throw usage(
        `--url must be a redis://, rediss:// or postgres:// URL${scheme ? `, not ${scheme}` : ""}`,
      );
    }
  }
  if (hints.project) kinds.add("firestore");
  if (kinds.size > 1) {
    const names = [...kinds].map((kind) => STORES[kind].name).join(" and ");
    throw usage(`--url and --project name two stores (${names}): pick one`);
  }
  const [kind] = kinds;
  if (kind) return kind;
  if (hints.envUrl) return "redis";
  throw usage(
    "no store: give --url redis://host:port (or set REDIS_URL) for Redis, --url postgres://... for PostgreSQL, or --project <id> for Firestore",
  );
}

/** How to install `packages` for the CLI: globally beside a global syncguard, or in the project. */
export const installHint = (packages: readonly string[]) =>
  `npm install -g ${packages.join(" ")} (beside a global syncguard), or npm install ${packages.join(" ")} (in your project)`;

/**
 * The store package's operator module, loaded on first use: the CLI needs only the store it is
 * pointed at, so a missing package is a clear message (exit 4), not a stack trace.
 */
export function loadOperator(kind: StoreKind): StoreOperator {
  const store = STORES[kind];
  try {
    return (require(`${store.package}/operator`) as { operator: StoreOperator }).operator;
  } catch (error) {
    if (!isInstalled(`${store.package}/package.json`) && !isInstalled(store.package)) {
      throw new CliError(
        EXIT_CODES.notInstalled,
        `${store.package} is not installed: ${store.name} needs ${installHint([store.package, store.client])}`,
      );
    }
    const code = (error as { code?: unknown }).code;
    if (code === "ERR_PACKAGE_PATH_NOT_EXPORTED" || code === "MODULE_NOT_FOUND") {
      throw new CliError(
        EXIT_CODES.notInstalled,
        `${store.package} is too old for this syncguard (it has no ./operator entry): ${installHint([`${store.package}@latest`])}`,
      );
    }
    throw error;
  }
}

/** The operators of the stores installed, for --help. */
export function installedOperators(): { kind: StoreKind; operator?: StoreOperator }[] {
  return (Object.keys(STORES) as StoreKind[]).map((kind) => {
    try {
      return { kind, operator: loadOperator(kind) };
    } catch {
      return { kind };
    }
  });
}

function isInstalled(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}

/** A connected store: its backend, core's operations on it, and how to let go of both. */
export interface Store {
  /** The store's name for people: "Redis". */
  readonly name: string;
  readonly backend: LockBackend;
  /** Core's functions from the copy of core the backend was built with. */
  readonly core: OperatorCore;
  /**
   * Runs one store call with a signal that fires after --timeout-ms: a server that accepts the
   * connection and never answers ends the command (exit 3) instead of hanging it.
   */
  call<T>(operation: (signal: AbortSignal) => Promise<T>): Promise<T>;
  migrateFrom2x?(options: { dryRun: boolean }): Promise<OperatorMigrationReport>;
  close(): Promise<void>;
}

/** Connects through the operator's plan; a failure to connect is exit 3, naming where. */
export async function openStore(
  name: string,
  plan: OperatorPlan,
  timeoutMs: number,
): Promise<Store> {
  let session: Awaited<ReturnType<OperatorPlan["open"]>>;
  try {
    session = await plan.open();
  } catch (error) {
    throw openFailure(name, plan.target, error);
  }
  return {
    name,
    backend: session.backend,
    core: session.core,
    call: bounded(name, timeoutMs),
    ...(session.migrateFrom2x ? { migrateFrom2x: session.migrateFrom2x.bind(session) } : {}),
    close: () => session.close(),
  };
}

/**
 * Why the store could not be opened. A LockError is the operator's own account (bad settings the
 * server revealed, refused credentials, an unreachable address): its code and message, and where.
 * Anything else is the client library's error, quoted as a failure to connect.
 */
function openFailure(store: string, where: string, error: unknown): CliError {
  const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown };
  if (name === "LockError" && typeof code === "string") {
    return new CliError(exitCodeOfLockCode(code), `${messageOf(error)} (${store} at ${where})`, {
      cause: error,
      label: code,
    });
  }
  return unreachable(store, where, error);
}

function unreachable(store: string, where: string, error: unknown): CliError {
  const { code } = (error ?? {}) as { code?: unknown };
  // The client library's own words (scrubbed of every secret when printed, as every line is).
  const detail =
    error instanceof Error
      ? error.message || (typeof code === "string" ? code : "") || error.name
      : String(error);
  return new CliError(
    EXIT_CODES.store,
    `cannot connect to ${store} at ${where}: ${detail || "no reason given"}`,
    { cause: error },
  );
}

/** Store calls bounded by the --timeout-ms deadline (see `Store.call`). */
function bounded(store: string, timeoutMs: number): Store["call"] {
  return async (operation) => {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      return await operation(signal);
    } catch (error) {
      const { code } = (error ?? {}) as { code?: unknown };
      if (signal.aborted && code === "Aborted") {
        throw new CliError(
          EXIT_CODES.store,
          `${store} did not answer within ${timeoutMs} ms (--timeout-ms)`,
          { cause: error },
        );
      }
      throw error;
    }
  };
}
