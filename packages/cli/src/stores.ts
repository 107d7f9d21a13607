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
import { redactUrl } from "./redact";

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

export async function openStore(
  choice: StoreChoice,
  timeoutMs: number,
  logger: StoreLogger,
): Promise<Store> {
  switch (choice.kind) {
    case "redis":
      return openRedis(choice, timeoutMs, logger);
    case "firestore":
      return openFirestore(choice, timeoutMs, logger);
    case "postgres":
      return openPostgres(choice, timeoutMs, logger);
  }
}

type RedisChoice = Extract<StoreChoice, { kind: "redis" }>;
type FirestoreChoice = Extract<StoreChoice, { kind: "firestore" }>;
type PostgresChoice = Extract<StoreChoice, { kind: "postgres" }>;

async function openRedis(
  choice: RedisChoice,
  timeoutMs: number,
  logger: StoreLogger,
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
    connection.close();
    throw error;
  }
  return {
    kind: "redis",
    backend,
    core: coreOf("@syncguard/redis"),
    call: bounded("Redis", timeoutMs),
    async close() {
      await backend.close().catch(() => {});
      connection.close();
    },
  };
}

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
    client.destroy();
    throw unreachable("Redis", choice.urls.map(redactUrl).join(", "), error);
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
    client.disconnect();
    throw unreachable("Redis", choice.urls.map(redactUrl).join(", "), error);
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
): Promise<Store> {
  const postgres = load<typeof import("@syncguard/postgres")>(
    "@syncguard/postgres",
    "@syncguard/postgres pg (or postgres)",
  );
  const connection = installed("pg")
    ? connectPg(choice.url, timeoutMs)
    : installed("postgres")
      ? connectPostgresJs(choice.url, timeoutMs)
      : undefined;
  if (!connection) {
    throw new CliError(
      EXIT_CODES.notInstalled,
      "neither pg (node-postgres) nor postgres (postgres.js) is installed; PostgreSQL needs one: npm install pg",
    );
  }
  try {
    await withinTime(connection.ping(), timeoutMs);
  } catch (error) {
    await boundedWait(connection.close(), CLOSE_WAIT_MS);
    throw unreachable("PostgreSQL", redactUrl(choice.url), error);
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
  const detail = redactUrls(
    error instanceof Error
      ? error.message || (typeof code === "string" ? code : "") || error.name
      : String(error),
  );
  return new CliError(
    EXIT_CODES.store,
    `cannot connect to ${store} at ${where}: ${detail || "no reason given"}`,
    {
      cause: error,
    },
  );
}

/** Client libraries may quote the URL they were given: never with its password. */
function redactUrls(text: string): string {
  return text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s"']+/gi, (url) => redactUrl(url));
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
