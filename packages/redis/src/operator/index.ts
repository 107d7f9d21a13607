/**
 * `@syncguard/redis/operator`: how an operator tool (the `syncguard` CLI) reaches Redis. It owns
 * the Redis flags (--url, --cluster, --key-prefix, --client, and --old-key-prefix for
 * migrate-2x), connects with node-redis or ioredis, whichever is installed, reports the
 * passwords of the URLs as the client reads them, and builds the backend.
 */
import type { StoreOperator } from "@syncguard/core/operator";
import { configure, FLAGS, MIGRATION_FLAGS } from "./settings";

export const operator: StoreOperator = {
  store: "Redis",
  flags: FLAGS,
  migrationFlags: MIGRATION_FLAGS,
  configure,
};
