import { LockError } from "@syncguard/core";
import type { ReleaseListener, Unsubscribe } from "@syncguard/core/driver";
import type { DriverContext } from "../context";

/** Calls `listener` when the key's lock is released (LISTEN/NOTIFY, see NotifyWatcher). */
export function watch(
  ctx: DriverContext,
  key: string,
  listener: ReleaseListener,
): Promise<Unsubscribe> {
  if (!ctx.watcher) {
    return Promise.reject(
      new LockError("Internal", "PostgreSQL watch: this backend was made with notify: false"),
    );
  }
  return ctx.watcher.watch(key, listener);
}
