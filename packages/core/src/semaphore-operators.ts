import { engineView, type PermitSummary, type PermitTarget } from "./engine-view";
import { LockError, throwIfAborted } from "./errors";
import { emit, type LockEventHandler } from "./events";
import { isFence } from "./fence";
import type { ForcedRelease } from "./force-release";
import { validateSignal } from "./input";
import { normalizeKey } from "./keys";
import { type Logger, validateLogger, writeLog } from "./logger";
import { checkOptionNames } from "./option-names";
import type { BackendCapabilities, Fence, LockBackend } from "./types";

export type { PermitSummary } from "./engine-view";

/**
 * Operators' view of counting semaphores (ADR-041): who holds the permits of a semaphore key, and
 * forcing one permit out. A permit holder is named by its holder id (a hash of its lockId, the id
 * election's `leader()` shows) or its fence; no lockId ever leaves core.
 */

/** The live permits of one semaphore key, as `getSemaphore` shows them. */
export interface SemaphoreInfo {
  /** The semaphore key, normalized. */
  readonly key: string;
  /** The number of permits the live holders agreed on. */
  readonly permits: number;
  /** The live permits, oldest fence first. */
  readonly holders: readonly PermitSummary[];
}

/** Options of `forceReleasePermit`: exactly one of `fence` and `holderId` names the permit. */
export interface ForceReleasePermitOptions {
  /** The fence of the permit to force out (15 digits, as results and listings show it). */
  fence?: Fence;
  /** The holder id of the permit to force out (16 hex digits, as `getSemaphore` shows it). */
  holderId?: string;
  /** Aborting it stops the call with `LockError("Aborted")`. */
  signal?: AbortSignal;
  /** Receives a `forced` event with `permit: true`. */
  onEvent?: LockEventHandler;
  /** Where the forced release is logged (warn). Default: the backend's `logger`, else `console`. */
  logger?: Logger;
}

const SIGNAL_ONLY: ReadonlySet<string> = new Set(["signal"]);
const FORCE_PERMIT_NAMES: ReadonlySet<string> = new Set([
  "fence",
  "holderId",
  "signal",
  "onEvent",
  "logger",
]);
const HOLDER_ID = /^[0-9a-f]{16}$/;

/**
 * The live permits of the semaphore `key` and their holders, or null when no permit of it is
 * live. A pure read. Needs a backend whose driver reads permits (`permits.read`; every SyncGuard
 * store does); any other is refused with `LockError("InvalidArgument")` before any I/O.
 */
export async function getSemaphore<C extends BackendCapabilities>(
  backend: LockBackend<C>,
  key: string,
  options: { signal?: AbortSignal } = {},
): Promise<SemaphoreInfo | null> {
  const normalized = normalizeKey(key);
  if (options === null || typeof options !== "object") {
    throw new LockError("InvalidArgument", "getSemaphore options must be an object");
  }
  checkOptionNames(options, SIGNAL_ONLY, "getSemaphore() options");
  const signal = validateSignal(options.signal);
  throwIfAborted(signal, "getSemaphore");
  const read = permitOperators(backend, "getSemaphore").read;
  if (!read) throw unsupported("getSemaphore");
  const found = await read(normalized, signal);
  return found ? { key: normalized, permits: found.permits, holders: found.holders } : null;
}

/**
 * Deletes ONE live permit of the semaphore `key`, named by its `fence` or `holderId`, whoever
 * holds it: the escape hatch for a permit held by a hung (but alive) holder. The other permits
 * stay. Never touches the fence counter: the next permit gets a higher fence. The evicted holder
 * learns it at its next extend (auto-extend aborts its `ctx.signal` with LockLost); waiters are
 * woken as by a release. A deleted permit is logged at warn level and every call emits a `forced`
 * event with `permit: true`. `released: false` when no live permit matches.
 */
export async function forceReleasePermit<C extends BackendCapabilities>(
  backend: LockBackend<C>,
  key: string,
  options: ForceReleasePermitOptions,
): Promise<ForcedRelease> {
  const normalized = normalizeKey(key);
  if (options === null || typeof options !== "object") {
    throw new LockError(
      "InvalidArgument",
      "forceReleasePermit needs options naming the permit: { fence } or { holderId }",
    );
  }
  checkOptionNames(options, FORCE_PERMIT_NAMES, "forceReleasePermit() options");
  const target = parseTarget(options);
  const { onEvent } = options;
  if (onEvent !== undefined && typeof onEvent !== "function") {
    throw new LockError("InvalidArgument", "onEvent must be a function");
  }
  const ownLogger = validateLogger(options.logger);
  const signal = validateSignal(options.signal);
  throwIfAborted(signal, "forceReleasePermit");
  const view = engineView(backend);
  const forceRelease = permitOperators(backend, "forceReleasePermit").forceRelease;
  if (!forceRelease) throw unsupported("forceReleasePermit");
  const forced = await forceRelease(normalized, target, signal);
  emit(onEvent, {
    type: "forced",
    key: normalized,
    released: forced.released,
    ...(forced.fence !== undefined ? { fence: forced.fence } : {}),
    permit: true,
  });
  if (forced.released) {
    // An operator's override of a permit's owner: worth a line in every log, by default.
    writeLog(
      ownLogger ?? view.logger,
      "warn",
      `[SyncGuard] forced release of a permit of semaphore ${JSON.stringify(normalized.slice(0, 64))}` +
        (forced.fence !== undefined ? ` (fence ${forced.fence})` : ""),
      {
        key: normalized,
        ...(forced.fence !== undefined ? { fence: forced.fence } : {}),
        ...(forced.lockIdHash !== undefined ? { lockIdHash: forced.lockIdHash } : {}),
      },
    );
  }
  return forced;
}

function parseTarget(options: ForceReleasePermitOptions): PermitTarget {
  const { fence, holderId } = options;
  if ((fence === undefined) === (holderId === undefined)) {
    throw new LockError(
      "InvalidArgument",
      "forceReleasePermit needs exactly one of { fence } or { holderId } to name the permit",
    );
  }
  if (fence !== undefined) {
    if (!isFence(fence)) {
      throw new LockError(
        "InvalidArgument",
        "forceReleasePermit fence must be a fence as SyncGuard shows it: 15 decimal digits",
      );
    }
    return { fence };
  }
  if (typeof holderId !== "string" || !HOLDER_ID.test(holderId)) {
    throw new LockError(
      "InvalidArgument",
      "forceReleasePermit holderId must be a holder id as getSemaphore shows it: 16 lowercase hex digits",
    );
  }
  return { holderId };
}

/** The backend's permit operations for operators; a backend without semaphores is refused. */
function permitOperators<C extends BackendCapabilities>(backend: LockBackend<C>, where: string) {
  const permits = engineView(backend).permits;
  if (!permits) {
    throw new LockError(
      "InvalidArgument",
      `${where}: the ${JSON.stringify(backend.capabilities?.backend)} backend does not support ` +
        "semaphores (its driver has no `permits` operations, see ADR-039)",
    );
  }
  return permits;
}

function unsupported(operation: string): LockError {
  return new LockError(
    "InvalidArgument",
    `${operation} needs a backend built with defineBackend whose driver implements permits.read (ADR-041)`,
  );
}
