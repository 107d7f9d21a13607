import { engineView, type ForcedRelease } from "./engine-view";
import { LockError } from "./errors";
import { parseKeyOptions } from "./input";
import type { BackendCapabilities, LockBackend } from "./types";

export type { ForcedRelease } from "./engine-view";

/**
 * Deletes the live lock of `key`, whoever holds it: the escape hatch for a lock stuck behind a
 * hung (but alive) holder. Never touches a fence counter; the next holder gets a higher fence.
 * The evicted holder learns it at its next extend (auto-extend aborts its `ctx.signal` with
 * LockLost); until then it may still be working, which is what fences are for. Waiters are woken
 * as by a release. Needs a backend built with `defineBackend` (every SyncGuard backend is).
 */
export async function forceRelease<C extends BackendCapabilities>(
  backend: LockBackend<C>,
  key: string,
  options: { signal?: AbortSignal } = {},
): Promise<ForcedRelease> {
  const parsed = parseKeyOptions({ key, ...options }, "forceRelease");
  const view = engineView(backend);
  if (!view.forceRelease) {
    throw new LockError(
      "InvalidArgument",
      "forceRelease needs a backend built with defineBackend: a LockBackend written directly cannot name its holder's lockId",
    );
  }
  return view.forceRelease(parsed.key, parsed.signal);
}
