#!/usr/bin/env node
// syncguard-redis-migrate-2x: parse arguments, run migrateFrom2x, print its report.
// Exit codes: 0 done, 1 the migration failed, 2 bad usage (see MIGRATING.md).
import { parseArgs } from "node:util";
import { isLockError } from "@syncguard/core";
import type { IoredisMigrationClient } from "./ioredis";
import { migrateFrom2x, type RedisMigrationReport } from "./migrate";
import type { MigrationClient } from "./node-redis";
import { type RedisMigrationOptions, resolveMigrationOptions } from "./options";

const USAGE = `Usage: syncguard-redis-migrate-2x --url redis://host:port [options]

Carries syncguard 2.x fence counters over to @syncguard/redis, so fences keep increasing.
Stop (or drain) every syncguard 2.x process first. 2.x data is left in place.

Options:
  --url URL          Redis URL (default: $REDIS_URL). With --cluster, give one per root node.
  --cluster          Connect as a Redis Cluster client.
  --old-prefix P     keyPrefix of syncguard 2.x (default "syncguard").
  --new-prefix P     keyPrefix of @syncguard/redis (default "syncguard").
  --dry-run          Report what would change; write nothing.
  --json             Print the report as JSON.
  -h, --help         Show this help.

Exit codes: 0 done, 1 migration failed, 2 bad usage.`;
const HINT = "Run syncguard-redis-migrate-2x --help for usage.";

function parse() {
  return parseArgs({
    options: {
      url: { type: "string", multiple: true },
      cluster: { type: "boolean", default: false },
      "old-prefix": { type: "string" },
      "new-prefix": { type: "string" },
      "dry-run": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  }).values;
}

function format(report: RedisMigrationReport): string {
  const raised = report.dryRun ? "route counters to raise:" : "route counters raised:  ";
  return [
    report.dryRun ? "Dry run: nothing was written." : "Migration done.",
    `  names scanned:          ${report.keysScanned}`,
    `  2.x counters found:     ${report.countersFound}`,
    `  skipped (no counter):   ${report.skipped}`,
    `  unmapped counters:      ${report.unmapped}`,
    `  route counters checked: ${report.routeCounters}`,
    `  ${raised} ${report.countersRaised}`,
    `  highest 2.x fence:      ${report.highestFence ?? "none"}`,
    ...skippedLines(report),
  ].join("\n");
}

/** The names skipped, each with the type it held (JSON-quoted: a name may hold anything). */
function skippedLines(report: RedisMigrationReport): string[] {
  if (report.skipped === 0) return [];
  const more = report.skipped - report.skippedKeys.length;
  return [
    "Skipped (not 2.x counters, left alone):",
    ...report.skippedKeys.map(({ key, type }) => `  ${JSON.stringify(key)} (${type})`),
    ...(more > 0 ? [`  ... and ${more} more`] : []),
  ];
}

/** Runs a cleanup step; its failure never replaces the outcome being reported. */
function quietly(cleanup: () => unknown): void {
  try {
    cleanup();
  } catch {
    // the migration's own result or error is what counts
  }
}

/** A connected client for the migration, and how to end it. */
interface Connection {
  client: MigrationClient | IoredisMigrationClient;
  close(): void;
}

/** Whichever client library the project installed: node-redis first, else ioredis. */
function installedLibrary(): "redis" | "ioredis" {
  for (const name of ["redis", "ioredis"] as const) {
    try {
      require.resolve(name);
      return name;
    } catch {
      // not installed; try the next
    }
  }
  throw new Error(
    "neither `redis` (node-redis) nor `ioredis` is installed next to @syncguard/redis",
  );
}

/** Credentials and TLS of the first URL: cluster clients give discovered nodes only defaults. */
function rootSettings(url: string) {
  const root = new URL(url);
  return {
    username: root.username ? decodeURIComponent(root.username) : undefined,
    password: root.password ? decodeURIComponent(root.password) : undefined,
    tls: root.protocol === "rediss:",
  };
}

/** A node-redis client that fails fast (a one-off command must not reconnect forever). */
async function connectNodeRedis(urls: string[], cluster: boolean): Promise<Connection> {
  const { createClient, createCluster } = require("redis") as typeof import("redis");
  const socket = { reconnectStrategy: false as const, connectTimeout: 10_000 };
  const { username, password, tls } = rootSettings(urls[0] as string);
  const client = cluster
    ? createCluster({
        rootNodes: urls.map((url) => ({ url })),
        defaults: {
          ...(username ? { username } : {}),
          ...(password ? { password } : {}),
          socket: tls ? { ...socket, tls: true as const } : socket,
        },
      })
    : createClient({ url: urls[0], socket });
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (error) {
    quietly(() => client.destroy()); // node-redis 5 throws "The client is closed" here
    throw error;
  }
  return { client, close: () => client.destroy() };
}

/** An ioredis client that fails fast, for projects that use ioredis. */
async function connectIoredis(urls: string[], cluster: boolean): Promise<Connection> {
  const { Redis, Cluster } = require("ioredis") as typeof import("ioredis");
  const once = { retryStrategy: () => null, connectTimeout: 10_000, lazyConnect: true };
  const { username, password, tls } = rootSettings(urls[0] as string);
  const client = cluster
    ? new Cluster(
        urls.map((url) => {
          const { hostname, port } = new URL(url);
          return { host: hostname, port: Number(port || 6379) };
        }),
        {
          lazyConnect: true,
          clusterRetryStrategy: () => null,
          redisOptions: { ...once, username, password, ...(tls ? { tls: {} } : {}) },
        },
      )
    : new Redis(urls[0] as string, once);
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (error) {
    quietly(() => client.disconnect());
    throw error;
  }
  return { client, close: () => client.disconnect() };
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse();
  } catch (error) {
    console.error(`${(error as Error).message}\n${HINT}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const urls = args.url ?? (process.env.REDIS_URL ? [process.env.REDIS_URL] : []);
  if (urls.length === 0 || (!args.cluster && urls.length > 1)) {
    console.error(`Give one --url (several only with --cluster), or set REDIS_URL.\n${HINT}`);
    return 2;
  }
  const options: RedisMigrationOptions = {
    ...(args["old-prefix"] !== undefined ? { oldKeyPrefix: args["old-prefix"] } : {}),
    ...(args["new-prefix"] !== undefined ? { keyPrefix: args["new-prefix"] } : {}),
    dryRun: args["dry-run"],
  };
  try {
    resolveMigrationOptions(options); // bad prefixes are usage errors, found before connecting
  } catch (error) {
    console.error(`${(error as Error).message}\n${HINT}`);
    return 2;
  }
  let library: "redis" | "ioredis";
  try {
    library = installedLibrary();
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  let connection: Connection | undefined;
  try {
    connection = await (library === "redis" ? connectNodeRedis : connectIoredis)(
      urls,
      args.cluster,
    );
    const report = await migrateFrom2x(connection.client, options);
    console.log(args.json ? JSON.stringify(report) : format(report));
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`Migration failed: ${isLockError(error) ? `[${error.code}] ` : ""}${message}`);
    return 1;
  } finally {
    if (connection) quietly(connection.close);
  }
}

main().then((code) => {
  process.exitCode = code;
});
