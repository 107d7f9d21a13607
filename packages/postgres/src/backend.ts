import { LockError } from "@syncguard/core";
import { type DefinedBackend, defineBackend, type LockDriver } from "@syncguard/core/driver";
import { AbandonedStatements } from "./abandoned";
import { POSTGRES_CAPABILITIES, type PostgresCapabilities } from "./capabilities";
import { looksLikeClient, NOT_A_CLIENT, type PgClientLike } from "./client";
import { type PostgresBackendOptions, resolveConfig } from "./config";
import type { DriverContext } from "./context";
import { toPostgresLockError } from "./errors";
import { NotifyWatcher } from "./listen/watcher";
import { acquire, acquireStatements } from "./operations/acquire";
import { extend, extendSql } from "./operations/extend";
import { isLocked, isLockedSql } from "./operations/is-locked";
import { list, listSql } from "./operations/list";
import { postgresPermits } from "./operations/permits";
import { readByKey, readByKeySql } from "./operations/read-by-key";
import { readByLockId, readByLockIdSql } from "./operations/read-by-lock-id";
import { readFence, readFenceSql } from "./operations/read-fence";
import { release, releaseSql } from "./operations/release";
import { watch } from "./operations/watch";
import { withdraw, withdrawSql } from "./operations/withdraw";

export type PostgresBackend = DefinedBackend<PostgresCapabilities>;

/**
 * A SyncGuard backend on PostgreSQL: pass a `pg.Pool` (recommended with node-postgres), a
 * connected `pg.Client`, or postgres.js's `sql`. Validates its options synchronously
 * (InvalidArgument). The tables must exist: `setupSchema(client, options)` creates them.
 * `close()` stops listening for releases; the pool or client stays open: it belongs to the
 * caller. See specs/postgres-backend.md.
 */
export function createPostgresBackend(
  client: PgClientLike,
  options: PostgresBackendOptions = {},
): PostgresBackend {
  return defineBackend(createPostgresDriver(client, options));
}

/** The PostgreSQL driver: one statement per operation; core's `defineBackend` does the rest. */
export function createPostgresDriver(
  client: PgClientLike,
  options: PostgresBackendOptions = {},
): LockDriver<PostgresCapabilities> {
  if (!looksLikeClient(client)) {
    throw new LockError("InvalidArgument", NOT_A_CLIENT);
  }
  const config = resolveConfig(options);
  const ctx: DriverContext = {
    client,
    config,
    abandoned: new AbandonedStatements(),
    watcher: config.notify ? new NotifyWatcher(client, config) : undefined,
  };
  // Statement texts are fixed per backend: built once.
  const sql = {
    acquire: acquireStatements(config),
    release: releaseSql(config),
    extend: extendSql(config),
    readByKey: readByKeySql(config),
    readByLockId: readByLockIdSql(config),
    isLocked: isLockedSql(config),
    list: listSql(config),
    readFence: readFenceSql(config),
    withdraw: withdrawSql(config),
  };
  const tables = config.allTables;
  return {
    capabilities: POSTGRES_CAPABILITIES,
    ...(config.logger ? { logger: config.logger } : {}),
    acquire: (input) => acquire(ctx, sql.acquire, input),
    release: (input) => release(ctx, sql.release, input),
    extend: (input) => extend(ctx, sql.extend, input),
    readByKey: (input) => readByKey(ctx, sql.readByKey, input),
    readByLockId: (input) => readByLockId(ctx, sql.readByLockId, input),
    isLocked: (input) => isLocked(ctx, sql.isLocked, input),
    list: (input) => list(ctx, sql.list, input),
    readFence: (input) => readFence(ctx, sql.readFence, input),
    permits: postgresPermits(ctx),
    // A wait queue only where waiters are woken (see queueableWaiter).
    ...(ctx.watcher
      ? {
          watch: (key, listener) => watch(ctx, key, listener),
          withdraw: (input) => withdraw(ctx, sql.withdraw, input),
          // An idle watch is an entry in a map (the channel is per backend): cheap to keep.
          watchLingerMs: 2_000,
        }
      : {}),
    toLockError: (error, operation) => toPostgresLockError(error, operation, false, tables),
    async close() {
      await ctx.watcher?.close();
    },
  };
}
