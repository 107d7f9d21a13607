#!/usr/bin/env node
// syncguard-redis-migrate-2x: parse arguments, run migrateFrom2x, print its report.
// Exit codes: 0 done, 1 the migration failed, 2 bad usage (see MIGRATING.md).
import { parseArgs } from "node:util";
import { isLockError } from "@syncguard/core";
import { createClient, createCluster } from "redis";
import { migrateFrom2x, type RedisMigrationReport } from "./migrate";
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
  ].join("\n");
}

/** A client that fails fast (a one-off command must not reconnect forever). */
function connectTo(urls: string[], cluster: boolean) {
  const socket = { reconnectStrategy: false as const, connectTimeout: 10_000 };
  if (!cluster) return createClient({ url: urls[0], socket });
  // node-redis gives the nodes it discovers only `defaults`, not the root URLs' credentials or TLS.
  const root = new URL(urls[0] as string);
  return createCluster({
    rootNodes: urls.map((url) => ({ url })),
    defaults: {
      ...(root.username ? { username: decodeURIComponent(root.username) } : {}),
      ...(root.password ? { password: decodeURIComponent(root.password) } : {}),
      socket: root.protocol === "rediss:" ? { ...socket, tls: true as const } : socket,
    },
  });
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
  let client: ReturnType<typeof connectTo>;
  try {
    client = connectTo(urls, args.cluster);
  } catch (error) {
    console.error(`${(error as Error).message}\n${HINT}`);
    return 2;
  }
  client.on("error", () => {});
  try {
    await client.connect();
    const report = await migrateFrom2x(client, options);
    console.log(args.json ? JSON.stringify(report) : format(report));
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`Migration failed: ${isLockError(error) ? `[${error.code}] ` : ""}${message}`);
    return 1;
  } finally {
    client.destroy();
  }
}

main().then((code) => {
  process.exitCode = code;
});
