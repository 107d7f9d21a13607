import path from "node:path";
import type {
  FenceReading,
  ForcedRelease,
  ListLocksOptions,
  LockBackend,
  LockInfo,
  LockPage,
} from "@syncguard/core";
import type { StoreChoice } from "./args";
import { CliError, EXIT_CODES } from "./exit-codes";
import { displayUrl, MISENCODED_URL, SECRET_PARAM } from "./url-secrets";

/** The core functions the commands call, from the copy of core the store's backend was built with. */
export interface CoreOperations {
  getByKey(
    backend: LockBackend,
    key: string,
    options: { signal: AbortSignal },
  ): Promise<LockInfo | null>;
  listLocks(backend: LockBackend, options: ListLocksOptions): Promise<LockPage>;
  readFence(
    backend: LockBackend,
    key: string,
    options: { signal: AbortSignal },
  ): Promise<FenceReading>;
  forceRelease(
    backend: LockBackend,
    key: string,
    options: { signal: AbortSignal; logger: StoreLogger },
  ): Promise<ForcedRelease>;
}

/** Where the backends' own warnings go (the CLI's stderr). */
export interface StoreLogger {
  warn(message: string): void;
  error(message: string): void;
}

/** A connected store: its backend, core's operations on it, and how to let go of both. */
export interface Store {
  readonly kind: StoreChoice["kind"];
  readonly backend: LockBackend;
  readonly core: CoreOperations;
  /**
   * Runs one store call with a signal that fires after --timeout-ms: a server that accepts the
   * connection and never answers ends the command (exit 3) instead of hanging it.
   */
  call<T>(operation: (signal: AbortSignal) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Loads an optional peer: the CLI needs only the store it is pointed at, so each store's packages
 * are required on first use and a missing one is a clear message (exit 4), not a stack trace.
 */
function load<T>(name: string, install: string): T {
  try {
    return require(name) as T;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "MODULE_NOT_FOUND" && String((error as Error).message).includes(`'${name}'`)) {
      throw new CliError(
        EXIT_CODES.notInstalled,
        `${name} is not installed; this store needs: npm install ${install}`,
      );
    }
    throw error;
  }
}

/** Installed at all? (Tells node-redis from ioredis without loading either.) */
function installed(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * Core as the backend package sees it: `forceRelease` and the listing reach the driver through a
 * registry inside core, so they must come from the very copy the backend registered with (a
 * second copy of core in node_modules would not know the backend).
 */
function coreOf(backendPackage: string): CoreOperations {
  const entry = require.resolve(backendPackage);
  const corePath = require.resolve("@syncguard/core", { paths: [path.dirname(entry)] });
  return require(corePath) as CoreOperations;
}

/**
 * Connects to the chosen store. `addSecrets` receives the passwords the client library reads from
 * the connection settings (its own parser, before any connection is made), so the CLI can keep
 * them out of everything it prints, the library's own messages included.
 */
export async function openStore(
  choice: StoreChoice,
  timeoutMs: number,
  logger: StoreLogger,
  addSecrets: (secrets: string[]) => void,
): Promise<Store> {
  switch (choice.kind) {
    case "redis":
      return openRedis(choice, timeoutMs, logger, addSecrets);
    case "firestore":
      return openFirestore(choice, timeoutMs, logger);
    case "postgres":
      return openPostgres(choice, timeoutMs, logger, addSecrets);
  }
}

/** String values of parsed settings whose names say they hold a secret. */
function secretValues(settings: unknown): string[] {
  if (typeof settings !== "object" || settings === null) return [];
  return Object.entries(settings as Record<string, unknown>)
    .filter(([name, value]) => SECRET_PARAM.test(name) && typeof value === "string")
    .map(([, value]) => value as string);
}

/** Runs a cleanup step; its failure never replaces the error being reported. */
function quietly(cleanup: () => unknown): void {
  try {
    const result = cleanup();
    if (result instanceof Promise) result.catch(() => {});
  } catch {
    // already failing: the first error is the one to report
  }
}

type RedisChoice = Extract<StoreChoice, { kind: "redis" }>;
type FirestoreChoice = Extract<StoreChoice, { kind: "firestore" }>;
type PostgresChoice = Extract<StoreChoice, { kind: "postgres" }>;

async function openRedis(
  choice: RedisChoice,
  timeoutMs: number,
  logger: StoreLogger,
  addSecrets: (secrets: string[]) => void,
): Promise<Store> {
  const redis = load<typeof import("@syncguard/redis")>(
    "@syncguard/redis",
    "@syncguard/redis redis (or ioredis)",
  );
  const library = installed("redis") ? "redis" : installed("ioredis") ? "ioredis" : undefined;
  if (!library) {
    throw new CliError(
      EXIT_CODES.notInstalled,
      "neither redis (node-redis) nor ioredis is installed; Redis needs one: npm install redis",
    );
  }
  addSecrets(redisLibrarySecrets(library, choice.urls));
  const connection =
    library === "redis"
      ? await connectNodeRedis(choice, timeoutMs)
      : await connectIoredis(choice, timeoutMs);
  let backend: ReturnType<typeof redis.createRedisBackend>;
  try {
    backend = redis.createRedisBackend(connection.client as never, {
      ...(choice.keyPrefix !== undefined ? { keyPrefix: choice.keyPrefix } : {}),
      evictionPolicyCheck: "off", // the CLI never acquires
      logger,
    });
  } catch (error) {
    quietly(connection.close);
    throw error;
  }
  return {
    kind: "redis",
    backend,
    core: coreOf("@syncguard/redis"),
    call: bounded("Redis", timeoutMs),
    async close() {
      await backend.close().catch(() => {});
      quietly(connection.close);
    },
  };
}

/**
 * The secrets the installed Redis client reads from the URLs: node-redis's parser (through an
 * unconnected client's options) or ioredis's (which also honours `?password=`).
 */
function redisLibrarySecrets(library: "redis" | "ioredis", urls: readonly string[]): string[] {
  const secrets: string[] = [];
  for (const url of urls) {
    try {
      if (library === "redis") {
        const { createClient } = load<typeof import("redis")>("redis", "redis");
        secrets.push(...secretValues(createClient({ url }).options));
      } else {
        const { Redis } = load<typeof import("ioredis")>("ioredis", "ioredis");
        secrets.push(...secretValues(new Redis(url, { lazyConnect: true }).options));
      }
    } catch {
      // The library cannot read it either: connecting reports that (the URL is a secret whole).
    }
  }
  return secrets;
}

/** Where the CLI says it tried to connect: the URLs without passwords or query strings. */
const whereRedis = (urls: readonly string[]) =>
  urls.map((url) => displayUrl(url) ?? "the --url given").join(", ");

interface Connection {
  client: unknown;
  close(): void;
}

/** Credentials and TLS of the first URL: a cluster client gives discovered nodes only defaults. */
function rootSettings(url: string) {
  const root = new URL(url);
  return {
    ...(root.username ? { username: decodeURIComponent(root.username) } : {}),
    ...(root.password ? { password: decodeURIComponent(root.password) } : {}),
    tls: root.protocol === "rediss:",
  };
}

/** One try, bounded: a tool run must fail fast rather than reconnect forever. */
async function connectNodeRedis(choice: RedisChoice, timeoutMs: number): Promise<Connection> {
  const { createClient, createCluster } = load<typeof import("redis")>("redis", "redis");
  const socket = { reconnectStrategy: false as const, connectTimeout: timeoutMs };
  const { tls, ...credentials } = rootSettings(choice.urls[0] as string);
  const client = choice.cluster
    ? createCluster({
        rootNodes: choice.urls.map((url) => ({ url })),
        defaults: { ...credentials, socket: tls ? { ...socket, tls: true as const } : socket },
      })
    : createClient({ url: choice.urls[0] as string, socket });
  client.on("error", () => {});
  try {
    await withinTime<unknown>(client.connect(), timeoutMs);
  } catch (error) {
    // node-redis 5 throws "The client is closed" from destroy() after a failed connect.
    quietly(() => client.destroy());
    throw unreachable("Redis", whereRedis(choice.urls), error);
  }
  return { client, close: () => client.destroy() };
}

async function connectIoredis(choice: RedisChoice, timeoutMs: number): Promise<Connection> {
  const { Redis, Cluster } = load<typeof import("ioredis")>("ioredis", "ioredis");
  const once = { retryStrategy: () => null, connectTimeout: timeoutMs, lazyConnect: true };
  const { tls, ...credentials } = rootSettings(choice.urls[0] as string);
  const client = choice.cluster
    ? new Cluster(
        choice.urls.map((url) => {
          const { hostname, port } = new URL(url);
          return { host: hostname, port: Number(port || 6379) };
        }),
        {
          lazyConnect: true,
          clusterRetryStrategy: () => null,
          redisOptions: { ...once, ...credentials, ...(tls ? { tls: {} } : {}) },
        },
      )
    : new Redis(choice.urls[0] as string, once);
  client.on("error", () => {});
  try {
    await withinTime(client.connect(), timeoutMs);
  } catch (error) {
    quietly(() => client.disconnect());
    throw unreachable("Redis", whereRedis(choice.urls), error);
  }
  return { client, close: () => client.disconnect() };
}

async function openFirestore(
  choice: FirestoreChoice,
  timeoutMs: number,
  logger: StoreLogger,
): Promise<Store> {
  const firestore = load<typeof import("@syncguard/firestore")>(
    "@syncguard/firestore",
    "@syncguard/firestore @google-cloud/firestore",
  );
  const { Firestore } = load<typeof import("@google-cloud/firestore")>(
    "@google-cloud/firestore",
    "@google-cloud/firestore",
  );
  // On the emulator there is no metadata server to ask for credentials: skip google-auth's probe.
  if (process.env.FIRESTORE_EMULATOR_HOST) process.env.METADATA_SERVER_DETECTION ??= "none";
  // The client connects lazily (FIRESTORE_EMULATOR_HOST is honoured by the SDK itself); an
  // unreachable project shows at the first read, bounded by operationTimeoutMs.
  const db = new Firestore({ projectId: choice.projectId });
  let backend: ReturnType<typeof firestore.createFirestoreBackend>;
  try {
    backend = firestore.createFirestoreBackend(db, {
      ...(choice.collection !== undefined ? { collection: choice.collection } : {}),
      ...(choice.fenceCollection !== undefined ? { fenceCollection: choice.fenceCollection } : {}),
      operationTimeoutMs: timeoutMs,
      logger,
    });
  } catch (error) {
    await db.terminate().catch(() => {});
    throw error;
  }
  return {
    kind: "firestore",
    backend,
    core: coreOf("@syncguard/firestore"),
    call: bounded("Firestore", timeoutMs),
    async close() {
      await backend.close().catch(() => {});
      // terminate() waits for calls still in flight; one given up on may retry for a while.
      await boundedWait(db.terminate(), CLOSE_WAIT_MS);
    },
  };
}

/**
 * node-postgres if installed, else postgres.js: a small pool, bounded connects, no LISTEN (the
 * CLI never waits for a lock). One query proves the server answers before any command runs.
 */
async function openPostgres(
  choice: PostgresChoice,
  timeoutMs: number,
  logger: StoreLogger,
  addSecrets: (secrets: string[]) => void,
): Promise<Store> {
  const postgres = load<typeof import("@syncguard/postgres")>(
    "@syncguard/postgres",
    "@syncguard/postgres pg (or postgres)",
  );
  const library = installed("pg") ? "pg" : installed("postgres") ? "postgres" : undefined;
  if (!library) {
    throw new CliError(
      EXIT_CODES.notInstalled,
      "neither pg (node-postgres) nor postgres (postgres.js) is installed; PostgreSQL needs one: npm install pg",
    );
  }
  const settings = readPostgresUrl(library, choice.url);
  addSecrets(settings.secrets);
  const connection =
    library === "pg" ? connectPg(choice.url, timeoutMs) : connectPostgresJs(choice.url, timeoutMs);
  try {
    await withinTime(connection.ping(), timeoutMs);
  } catch (error) {
    await boundedWait(connection.close(), CLOSE_WAIT_MS);
    throw unreachable("PostgreSQL", settings.where, error);
  }
  let backend: ReturnType<typeof postgres.createPostgresBackend>;
  try {
    backend = postgres.createPostgresBackend(connection.client as never, {
      ...(choice.schema !== undefined ? { schema: choice.schema } : {}),
      ...(choice.tablePrefix !== undefined ? { tablePrefix: choice.tablePrefix } : {}),
      operationTimeoutMs: timeoutMs,
      notify: false,
      logger,
    });
  } catch (error) {
    await boundedWait(connection.close(), CLOSE_WAIT_MS);
    throw error;
  }
  return {
    kind: "postgres",
    backend,
    core: coreOf("@syncguard/postgres"),
    call: bounded("PostgreSQL", timeoutMs),
    async close() {
      await backend.close().catch(() => {});
      await boundedWait(connection.close(), CLOSE_WAIT_MS);
    },
  };
}

/**
 * The URL as the installed client reads it: node-postgres through its own parser
 * (pg-connection-string, which takes `?password=` and every other query parameter) and its
 * connection parameters (which add PGPASSWORD); postgres.js through its options. A URL the
 * client cannot read is a usage error that does not quote it.
 */
function readPostgresUrl(
  library: "pg" | "postgres",
  url: string,
): { secrets: string[]; where: string } {
  const refuse = () =>
    new CliError(
      EXIT_CODES.usage,
      `--url is not a PostgreSQL URL ${library === "pg" ? "node-postgres" : "postgres.js"} can read: ${MISENCODED_URL}`,
    );
  try {
    if (library === "pg") {
      const pg = load<typeof import("pg")>("pg", "pg");
      const parser = require(
        require.resolve("pg-connection-string", { paths: [path.dirname(require.resolve("pg"))] }),
      ) as { parse(url: string): Record<string, unknown> };
      const parsed = parser.parse(url);
      const client = new pg.Client({ connectionString: url });
      const secrets = [...secretValues(parsed), ...secretValues({ password: client.password })];
      return { secrets, where: wherePostgres(client, secrets.length > 0) };
    }
    const postgresJs = load<typeof import("postgres")>("postgres", "postgres");
    const { options } = postgresJs(url, { max: 1 });
    const secrets = [...secretValues({ pass: options.pass }), ...secretValues(options.connection)];
    return {
      secrets,
      where: wherePostgres(
        {
          user: options.user,
          host: options.host.join(","),
          port: options.port.join(","),
          database: options.database,
        },
        secrets.length > 0,
      ),
    };
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw refuse();
  }
}

/** `postgres://user:***@host:port/database`, from the parsed settings (nothing else of the URL). */
function wherePostgres(
  settings: { user?: unknown; host?: unknown; port?: unknown; database?: unknown },
  hasPassword: boolean,
): string {
  const user = settings.user ? `${String(settings.user)}${hasPassword ? ":***" : ""}@` : "";
  const port = settings.port ? `:${String(settings.port)}` : "";
  const database = settings.database ? `/${String(settings.database)}` : "";
  return `postgres://${user}${String(settings.host ?? "")}${port}${database}`;
}

interface SqlConnection {
  client: unknown;
  ping(): Promise<unknown>;
  close(): Promise<unknown>;
}

function connectPg(url: string, timeoutMs: number): SqlConnection {
  const { Pool } = load<typeof import("pg")>("pg", "pg");
  const pool = new Pool({ connectionString: url, max: 2, connectionTimeoutMillis: timeoutMs });
  pool.on("error", () => {}); // an idle client's broken connection: the next call reports it
  return { client: pool, ping: () => pool.query("SELECT 1"), close: () => pool.end() };
}

function connectPostgresJs(url: string, timeoutMs: number): SqlConnection {
  const postgresJs = load<typeof import("postgres")>("postgres", "postgres");
  const sql = postgresJs(url, {
    max: 2,
    connect_timeout: Math.max(1, Math.ceil(timeoutMs / 1000)),
    onnotice: () => {},
  });
  return { client: sql, ping: () => sql`SELECT 1`, close: () => sql.end({ timeout: 1 }) };
}

function unreachable(store: string, where: string, error: unknown): CliError {
  const { code } = (error ?? {}) as { code?: unknown };
  // The library's own words (scrubbed of every secret when printed, as every line is).
  const detail =
    error instanceof Error
      ? error.message || (typeof code === "string" ? code : "") || error.name
      : String(error);
  return new CliError(
    EXIT_CODES.store,
    `cannot connect to ${store} at ${where}: ${detail || "no reason given"}`,
    {
      cause: error,
    },
  );
}

/** How long closing a Firestore client may take before the CLI moves on. */
const CLOSE_WAIT_MS = 1_000;

function boundedWait(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    promise.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
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

/** `promise`, or a rejection once `ms` pass (a connect that never completes its handshake). */
function withinTime<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no answer within ${ms} ms (--timeout-ms)`)),
      ms,
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
