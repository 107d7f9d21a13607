import type { PermitDriver } from "@syncguard/core/driver";
import type { DriverContext } from "../context";
import { permitLayout, semaphoreWatchKey } from "../permit-layout";
import type { Watcher } from "../watcher";
import { acquirePermit } from "./acquire-permit";
import { extendPermit } from "./extend-permit";
import { listPermit } from "./list-permit";
import { readPermit } from "./read-permit";
import { releasePermit } from "./release-permit";
import { withdrawPermit } from "./withdraw-permit";

/** Runs an operation once the backend's first-use checks have passed (see backend.ts). */
export type CheckedCall = <T>(
  operation: string,
  routingKey: () => string,
  run: () => Promise<T>,
) => Promise<T>;

/**
 * The Redis driver's semaphores (ADR-039): one sorted set and one hash per semaphore key, and a
 * wait queue, in one slot. A release is announced on the channel the lock of the semaphore's watch key would use, so
 * the backend's one watcher serves both.
 */
export function redisPermits(
  ctx: DriverContext,
  watcher: Watcher,
  checked: CheckedCall,
): PermitDriver {
  const prefix = ctx.config.keyPrefix;
  const route = (key: string) => () => permitLayout(prefix, key).permits;
  // Any semaphore's name routes a call that has no key of its own (a listing) to some node.
  const anyRoute = route("");
  return {
    acquire: (input) => checked("acquirePermit", route(input.key), () => acquirePermit(ctx, input)),
    release: (input) => checked("releasePermit", route(input.key), () => releasePermit(ctx, input)),
    extend: (input) => checked("extendPermit", route(input.key), () => extendPermit(ctx, input)),
    watch: (key, listener) => watcher.watch(semaphoreWatchKey(key), listener),
    withdraw: (input) =>
      checked("withdrawPermit", route(input.key), () => withdrawPermit(ctx, input)),
    read: (input) => checked("readPermit", route(input.key), () => readPermit(ctx, input)),
    list: (input) => checked("listPermit", anyRoute, () => listPermit(ctx, input)),
  };
}
