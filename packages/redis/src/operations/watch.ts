import type { ReleaseListener, Unsubscribe } from "@syncguard/core/driver";
import type { DriverContext } from "../context";

/** Calls `listener` when the key's lock is released (its release channel, see watcher.ts). */
export function watch(
  ctx: DriverContext,
  key: string,
  listener: ReleaseListener,
): Promise<Unsubscribe> {
  return ctx.watcher.watch(key, listener);
}
