import { checkBackendArgument } from "./backend-argument";
import { LockError, throwIfAborted } from "./errors";
import { validateSignal } from "./input";
import { normalizeKey } from "./keys";
import { validateLockId } from "./lock-id";
import { checkOptionNames } from "./option-names";
import { sha256 } from "./sha256";
import type { BackendCapabilities, LockBackend, LockInfo, LookupOptions } from "./types";

/** First 16 hex characters of SHA-256(lockId): lets logs correlate holders without the secret. */
export function hashLockId(lockId: string): string {
  return sha256(lockId, "hex").slice(0, 16);
}

/**
 * Validates lookup options before any I/O. Exactly one of `key` or `lockId` must be given.
 * Returns the normalized key or the validated lockId; throws `Aborted` if the signal fired.
 */
const LOOKUP_NAMES: ReadonlySet<string> = new Set(["key", "lockId", "signal"]);

export function parseLookupOptions(
  options: LookupOptions,
): { key: string; lockId?: undefined } | { lockId: string; key?: undefined } {
  if (options === null || typeof options !== "object") {
    throw new LockError("InvalidArgument", "lookup needs exactly one of { key } or { lockId }");
  }
  checkOptionNames(options, LOOKUP_NAMES, "lookup() options");
  const hasKey = options?.key !== undefined;
  const hasLockId = options?.lockId !== undefined;
  if (hasKey === hasLockId) {
    throw new LockError("InvalidArgument", "lookup needs exactly one of { key } or { lockId }");
  }
  const target = hasKey
    ? { key: normalizeKey(options.key) }
    : { lockId: validateLockId(options.lockId) };
  throwIfAborted(validateSignal(options.signal), "lookup");
  return target;
}

/** The live lock on `key`, or null. */
export function getByKey<C extends BackendCapabilities>(
  backend: LockBackend<C>,
  key: string,
  options: { signal?: AbortSignal } = {},
): Promise<LockInfo<C> | null> {
  try {
    checkBackendArgument(backend, "getByKey()");
  } catch (error) {
    return Promise.reject(error);
  }
  return backend.lookup({ key, ...options });
}

/** The live lock held under `lockId`, or null. */
export function getById<C extends BackendCapabilities>(
  backend: LockBackend<C>,
  lockId: string,
  options: { signal?: AbortSignal } = {},
): Promise<LockInfo<C> | null> {
  try {
    checkBackendArgument(backend, "getById()");
  } catch (error) {
    return Promise.reject(error);
  }
  return backend.lookup({ lockId, ...options });
}

/**
 * True while `lockId` holds a live lock. Diagnostic only: the answer can be stale by the time you
 * act on it, so guard writes with the fence, not with `owns`.
 */
export async function owns<C extends BackendCapabilities>(
  backend: LockBackend<C>,
  lockId: string,
  options: { signal?: AbortSignal } = {},
): Promise<boolean> {
  checkBackendArgument(backend, "owns()");
  return (await backend.lookup({ lockId, ...options })) !== null;
}
