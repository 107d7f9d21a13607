import { LockError, throwIfAborted } from "./errors";
import { normalizeKey } from "./keys";
import { generateLockId, lockIdKeyTag, validateLockId, validateLockIdForKey } from "./lock-id";
import { MAX_TTL_MS, validateTtl } from "./time";
import type { AcquireOptions, ExtendOptions, KeyOptions, WaiterInfo } from "./types";

/**
 * Input checks every backend runs before any I/O, so the `[input.*]` rules hold the same way
 * everywhere and nothing half-valid reaches a store.
 */

const invalid = (message: string) => new LockError("InvalidArgument", message);

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

/** Waiter ids are short, printable and free of the separators backends put around them. */
const WAITER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

function positiveMs(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0 || value > MAX_TTL_MS) {
    throw invalid(`${name} must be a positive integer of ms up to ${MAX_TTL_MS}`);
  }
  return value;
}

export function validateWaiter(waiter: unknown): WaiterInfo | undefined {
  if (waiter === undefined) return undefined;
  if (typeof waiter !== "object" || waiter === null) throw invalid("waiter must be an object");
  const { id, timeoutMs, budgetMs, firstAttempt } = waiter as Record<string, unknown>;
  if (typeof id !== "string" || !WAITER_ID_PATTERN.test(id)) {
    throw invalid("waiter.id must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'");
  }
  positiveMs(timeoutMs, "waiter.timeoutMs");
  positiveMs(budgetMs, "waiter.budgetMs");
  if (firstAttempt !== undefined && typeof firstAttempt !== "boolean") {
    throw invalid("waiter.firstAttempt must be a boolean");
  }
  return waiter as WaiterInfo;
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
  const key = normalizeKey(options.key);
  const signal = validateSignal(options.signal);
  throwIfAborted(signal, operation);
  return { key, signal };
}
