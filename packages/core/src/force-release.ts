import { checkBackendArgument } from "./backend-argument";
import { engineView, type ForcedRelease } from "./engine-view";
import { LockError } from "./errors";
import { emit, type LockEventHandler } from "./events";
import { parseKeyOptions } from "./input";
import { type Logger, validateLogger, writeLog } from "./logger";
import { checkOptionNames } from "./option-names";
import type { BackendCapabilities, LockBackend } from "./types";

export type { ForcedRelease } from "./engine-view";

/** Options of `forceRelease`. */
export interface ForceReleaseOptions {
  /** Aborting it stops the call with `LockError("Aborted")`. */
  signal?: AbortSignal;
  /** Receives a `forced` event (whether a lock was deleted, and its fence). */
  onEvent?: LockEventHandler;
  /** Where the forced release is logged (warn). Default: the backend's `logger`, else `console`. */
  logger?: Logger;
}

const FORCE_RELEASE_NAMES: ReadonlySet<string> = new Set(["signal", "onEvent", "logger"]);

/**
 * Deletes the live lock of `key`, whoever holds it: the escape hatch for a lock stuck behind a
 * hung (but alive) holder. Never touches a fence counter; the next holder gets a higher fence.
 * The evicted holder learns it at its next extend (auto-extend aborts its `ctx.signal` with
 * LockLost); until then it may still be working, which is what fences are for. Waiters are woken
 * as by a release. A deleted lock is logged at warn level and every call emits a `forced` event.
 * Needs a backend built with `defineBackend` (every SyncGuard backend is).
 */
export async function forceRelease<C extends BackendCapabilities>(
  backend: LockBackend<C>,
  key: string,
  options: ForceReleaseOptions = {},
): Promise<ForcedRelease> {
  checkBackendArgument(backend, "forceRelease()");
  if (options === null || typeof options !== "object") {
    throw new LockError("InvalidArgument", "forceRelease options must be an object");
  }
  checkOptionNames(options, FORCE_RELEASE_NAMES, "forceRelease() options");
  const { onEvent, logger, ...keyOptions } = options;
  const parsed = parseKeyOptions({ key, ...keyOptions }, "forceRelease");
  if (onEvent !== undefined && typeof onEvent !== "function") {
    throw new LockError("InvalidArgument", "onEvent must be a function");
  }
  const ownLogger = validateLogger(logger);
  const view = engineView(backend);
  if (!view.forceRelease) {
    throw new LockError(
      "InvalidArgument",
      "forceRelease needs a backend built with defineBackend: a LockBackend written directly cannot name its holder's lockId",
    );
  }
  const forced = await view.forceRelease(parsed.key, parsed.signal);
  emit(onEvent, {
    type: "forced",
    key: parsed.key,
    released: forced.released,
    ...(forced.fence !== undefined ? { fence: forced.fence } : {}),
  });
  if (forced.released) {
    // An operator's override of the lock's owner: worth a line in every log, by default.
    writeLog(
      ownLogger ?? view.logger,
      "warn",
      `[SyncGuard] forced release of lock ${JSON.stringify(parsed.key.slice(0, 64))}` +
        (forced.fence !== undefined ? ` (fence ${forced.fence})` : ""),
      {
        key: parsed.key,
        ...(forced.fence !== undefined ? { fence: forced.fence } : {}),
        ...(forced.lockIdHash !== undefined ? { lockIdHash: forced.lockIdHash } : {}),
      },
    );
  }
  return forced;
}
