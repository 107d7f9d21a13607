#!/usr/bin/env node
// syncguard-redis-migrate-2x: deprecated alias of `syncguard migrate-2x --url redis://...`
// (@syncguard/cli), kept for one minor release. Same migration, through this package's operator.
// Exit codes: 0 done, 1 the migration failed, 2 bad usage (see MIGRATING.md).
import { runMigrationCommand } from "@syncguard/core/operator";
import { operator } from "./index";

const NAME = "syncguard-redis-migrate-2x";
const USAGE = `Usage: ${NAME} --url redis://host:port [options]

Deprecated: use \`syncguard migrate-2x\` (npm install -g @syncguard/cli), which takes the same
options. This command goes away in the next minor release.

Carries syncguard 2.x fence counters over to @syncguard/redis, so fences keep increasing.
Stop (or drain) every syncguard 2.x process first. 2.x data is left in place.

Options:
  --url URL             Redis URL (default: $REDIS_URL). With --cluster, give one per root node.
  --cluster             Connect as a Redis Cluster client.
  --old-key-prefix P    keyPrefix of syncguard 2.x (default "syncguard"; was --old-prefix).
  --key-prefix P        keyPrefix of @syncguard/redis (default "syncguard"; was --new-prefix).
  --client LIB          redis (node-redis) or ioredis (default: node-redis when installed).
  --dry-run             Report what would change; write nothing.
  --json                Print the report as JSON.
  -h, --help            Show this help.

Exit codes: 0 done, 1 migration failed, 2 bad usage.`;

runMigrationCommand(
  operator,
  { name: NAME, usage: USAGE, argv: process.argv.slice(2) },
  { env: process.env, stdout: process.stdout, stderr: process.stderr },
).then((code) => {
  process.exitCode = code;
});
