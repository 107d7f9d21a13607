import { LockError, throwIfAborted } from "./errors";
import { normalizeKey } from "./keys";
import { generateLockId, lockIdKeyTag, validateLockId, validateLockIdForKey } from "./lock-id";
import { checkOptionNames } from "./option-names";
import { validateTtl } from "./time";
import type { AcquireOptions, ExtendOptions, KeyOptions } from "./types";

/**
 * Input checks `defineBackend` runs before any driver sees a call, so the `[input.*]` rules hold
 * the same way everywhere and nothing half-valid reaches a store.
 */

const invalid = (message: string) => new LockError("InvalidArgument", message);

const ACQUIRE_NAMES: ReadonlySet<string> = new Set(["key", "ttlMs", "lockId", "signal"]);
const RELEASE_NAMES: ReadonlySet<string> = new Set(["lockId", "signal"]);
const EXTEND_NAMES: ReadonlySet<string> = new Set(["lockId", "ttlMs", "signal"]);
const KEY_NAMES: ReadonlySet<string> = new Set(["key", "signal"]);

/** An AbortSignal, or undefined. Anything else (`{}`, `true`) is refused: it could never fire. */
export function validateSignal(signal: unknown, name = "signal"): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (
    typeof signal !== "object" ||
    signal === null ||
    typeof (signal as AbortSignal).aborted !== "boolean" ||
    typeof (signal as AbortSignal).addEventListener !== "function" ||
    typeof (signal as AbortSignal).removeEventListener !== "function"
  ) {
    throw invalid(`${name} must be an AbortSignal`);
  }
  return signal as AbortSignal;
}

export interface ParsedAcquire {
  /** The normalized key. */
  key: string;
  ttlMs: number;
  /** The caller's lockId (checked against the key), or a fresh one. */
  lockId: string;
  /** The key's tag (`keyTag(key)`), which the lockId ends with. */
  tag: string;
  signal: AbortSignal | undefined;
}

/** Validates `backend.acquire` options and throws `Aborted` if the signal already fired. */
export function parseAcquireOptions(options: AcquireOptions): ParsedAcquire {
  if (options === null || typeof options !== "object") {
    throw invalid("acquire options must be an object with key and ttlMs");
  }
  checkOptionNames(options, ACQUIRE_NAMES, "backend.acquire() options");
  const key = normalizeKey(options.key);
  const ttlMs = validateTtl(options.ttlMs);
  const lockId =
    options.lockId === undefined ? generateLockId(key) : validateLockIdForKey(options.lockId, key);
  const signal = validateSignal(options.signal);
  throwIfAborted(signal, "acquire");
  return { key, ttlMs, lockId, tag: lockIdKeyTag(lockId), signal };
}

function optionsObject(options: unknown, operation: string, needs: string): void {
  if (options === null || typeof options !== "object") {
    throw invalid(`${operation} options must be an object with ${needs}`);
  }
}

/** Validates `release` options (and any other call that takes just a lockId). */
export function parseReleaseOptions(
  options: { lockId: string; signal?: AbortSignal },
  operation = "release",
): { lockId: string; signal: AbortSignal | undefined } {
  optionsObject(options, operation, "lockId");
  checkOptionNames(options, RELEASE_NAMES, `backend.${operation}() options`);
  const lockId = validateLockId(options.lockId);
  const signal = validateSignal(options.signal);
  throwIfAborted(signal, operation);
  return { lockId, signal };
}

/** Validates `extend` options. */
export function parseExtendOptions(options: ExtendOptions): {
  lockId: string;
  ttlMs: number;
  signal: AbortSignal | undefined;
} {
  optionsObject(options, "extend", "lockId and ttlMs");
  checkOptionNames(options, EXTEND_NAMES, "backend.extend() options");
  const lockId = validateLockId(options.lockId);
  const ttlMs = validateTtl(options.ttlMs);
  const signal = validateSignal(options.signal);
  throwIfAborted(signal, "extend");
  return { lockId, ttlMs, signal };
}

/** Validates options that name a key (`isLocked`). */
export function parseKeyOptions(
  options: KeyOptions,
  operation: string,
): { key: string; signal: AbortSignal | undefined } {
  optionsObject(options, operation, "key");
  checkOptionNames(options, KEY_NAMES, `${operation}() options`);
  const key = normalizeKey(options.key);
  const signal = validateSignal(options.signal);
  throwIfAborted(signal, operation);
  return { key, signal };
}
