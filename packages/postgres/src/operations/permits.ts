import type { PermitDriver } from "@syncguard/core/driver";
import type { DriverContext } from "../context";
import { semaphoreWatchKey } from "../semaphore-name";
import { acquirePermit, acquirePermitStatement } from "./acquire-permit";
import { extendPermit, extendPermitSql } from "./extend-permit";
import { listPermit, listPermitSql } from "./list-permit";
import { readPermit, readPermitSql } from "./read-permit";
import { releasePermit, releasePermitSql } from "./release-permit";
import { withdrawPermit, withdrawPermitSql } from "./withdraw-permit";

/**
 * The PostgreSQL driver's semaphores (ADR-039): rows of the permits table (schema version 3),
 * taken by the schema's acquire_permit function; with wake-ups, waiters queue in the permit queue
 * (version 4) and a release hands the freed permit to the oldest (relay_permit). Releases are
 * announced on the backend's channel as a lock's are, under the semaphore's own name, so the
 * backend's one watcher serves both.
 */
export function postgresPermits(ctx: DriverContext): PermitDriver {
  const sql = {
    acquire: acquirePermitStatement(ctx.config),
    release: releasePermitSql(ctx.config),
    extend: extendPermitSql(ctx.config),
    withdraw: withdrawPermitSql(ctx.config),
    read: readPermitSql(ctx.config),
    list: listPermitSql(ctx.config),
  };
  const { watcher } = ctx;
  return {
    acquire: (input) => acquirePermit(ctx, sql.acquire, input),
    release: (input) => releasePermit(ctx, sql.release, input),
    extend: (input) => extendPermit(ctx, sql.extend, input),
    read: (input) => readPermit(ctx, sql.read, input),
    list: (input) => listPermit(ctx, sql.list, input),
    // The wait queue needs wake-ups: a waiter is handed a permit through its notification.
    ...(watcher
      ? {
          watch: (key, listener) => watcher.watch(semaphoreWatchKey(key), listener),
          withdraw: (input) => withdrawPermit(ctx, sql.withdraw, input),
        }
      : {}),
  };
}
