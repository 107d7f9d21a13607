import type { BackoffPolicy, Jitter } from "./backoff";

export type { Jitter } from "./backoff";

import { LockError } from "./errors";
import type { LockEventHandler } from "./events";
import { validateSignal } from "./input";
import { type Logger, validateLogger } from "./logger";
import {
  ACQUISITION_NAMES,
  checkOptionNames,
  LOCK_DEFAULT_NAMES,
  LOCK_OPTION_NAMES,
} from "./option-names";
import { describeValue, MAX_TTL_MS, validateTtl } from "./time";

/** Context passed to `onReleaseError`. */
export interface ReleaseErrorContext {
  key: string;
  lockId: string;
  /** "release" when `handle.release()` was called, "disposal" for lock() and `await using`. */
  source: "release" | "disposal";
}

export type OnReleaseError = (error: Error, context: ReleaseErrorContext) => void;

/** Options of `lock(fn, options)` and `acquire(backend, options)`. */
export interface LockOptions {
  /** The resource to lock; any non-empty string (normalized to NFC). */
  key: string;
  /** Lease length in ms. Default 30 000. */
  ttlMs?: number;
  /**
   * Longest total wait for the lock, in ms. Default 5 000. 0 means a single attempt (bounded by
   * `releaseTimeoutMs`, like a release).
   */
  timeoutMs?: number;
  /** Retries after the first failed attempt (wake-ups after a release do not count). Default 10. */
  maxRetries?: number;
  /** Base delay between retries, doubled each retry. Default 100. */
  retryDelayMs?: number;
  /** Cap on a single retry delay. Default 1 000. */
  maxRetryDelayMs?: number;
  /** Jitter applied to retry delays. Default "equal" (half fixed, half random). */
  jitter?: Jitter;
  /** Aborting it stops the wait at once with `LockError("Aborted")`. */
  signal?: AbortSignal;
  /**
   * Renew the lease while the work runs (at a third of the TTL), see `LockContext.signal`.
   * Default true for `lock()` (ttlMs is then the time to detect a crashed holder, and
   * `maxHoldMs` bounds the hold); false for `acquire()` handles, which renew with `extend()`.
   */
  autoExtend?: boolean;
  /**
   * Longest time the lock may be held, in ms from the acquire: renewals (automatic or
   * `ctx.extend()`) stop there and `ctx.signal` aborts with `LockError("LockLost")` while the
   * lease is still valid. An integer >= ttlMs, or `Infinity` for no bound. Default with
   * `autoExtend`: 1 hour (or ttlMs if longer); without it: no bound (the TTL ends the hold).
   */
  maxHoldMs?: number;
  /** Bound on the release made when the work ends; past it, `onReleaseError` gets NetworkTimeout. Default 5 000. */
  releaseTimeoutMs?: number;
  /** Receives release failures; they never replace the work's own result or error. */
  onReleaseError?: OnReleaseError;
  /**
   * Observability hook, called synchronously for every outcome: acquired, contended, failed,
   * released, release-failed, extended, lost (see the README's table of events).
   */
  onEvent?: LockEventHandler;
  /**
   * Where this lock's warnings and errors go (a release failure without `onReleaseError`).
   * Default: the backend's `logger`, else `console`.
   */
  logger?: Logger;
  /**
   * The form used by an earlier library, read for people migrating. Top-level options win.
   * @deprecated put these options at the top level.
   */
  acquisition?: {
    timeoutMs?: number;
    maxRetries?: number;
    retryDelayMs?: number;
    jitter?: Jitter;
    signal?: AbortSignal;
  };
}

export const LOCK_DEFAULTS = Object.freeze({
  ttlMs: 30_000,
  timeoutMs: 5_000,
  maxRetries: 10,
  retryDelayMs: 100,
  maxRetryDelayMs: 1_000,
  jitter: "equal" as Jitter,
  releaseTimeoutMs: 5_000,
  // A hung worker that auto-extends would keep its lock forever; an hour covers typical batch
  // and cron work, while longer holders (leader election) say so with a bound or Infinity.
  maxHoldMs: 3_600_000,
});

/** Lock options after defaults and validation. */
export interface ResolvedLockOptions extends BackoffPolicy {
  key: string;
  ttlMs: number;
  timeoutMs: number;
  maxRetries: number;
  releaseTimeoutMs: number;
  autoExtend: boolean;
  /** Bound on the hold in ms, or Infinity (none). */
  maxHoldMs: number;
  signal?: AbortSignal;
  onReleaseError?: OnReleaseError;
  onEvent?: LockEventHandler;
  logger?: Logger;
  /** A semaphore's number of permits (`lock.semaphore()`, `acquirePermit()`); absent for a lock. */
  permits?: number;
  /** Set by `lock.ifFree()`: giving up on a held key is a skip (a `skipped` event), not a failure. */
  skipIfHeld?: boolean;
  /** Aborted when the lock function is closed (`lock.close()`); see `Acquisition`. */
  closing?: AbortSignal;
  /** The deprecated nested `acquisition: {...}` form was used (warned about once per process). */
  usedAcquisitionForm?: boolean;
}

/** Which call the options are for: `lock()` renews by default, `acquire()` handles do not. */
export type LockEntry = "lock" | "acquire";

/**
 * Checks lock defaults once, when a lock function is created: names (a `key` belongs to each call)
 * and values, so a bad default fails at `createLock`, not at the first call.
 */
export function validateLockDefaults(defaults: unknown, where = "createLock() options"): void {
  if (defaults === null || typeof defaults !== "object") {
    throw new LockError("InvalidArgument", `${where} must be an object`);
  }
  if (Object.hasOwn(defaults, "key")) {
    throw new LockError(
      "InvalidArgument",
      `${where} cannot set a key: each lock() call names its own key`,
    );
  }
  checkOptionNames(defaults, LOCK_DEFAULT_NAMES, where);
  resolveLockOptions({ key: "" }, defaults as LockDefaultsLike);
}

type LockDefaultsLike = Partial<Omit<LockOptions, "key">>;

function nonNegativeInteger(value: unknown, name: string, max = MAX_TTL_MS): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > max) {
    throw new LockError(
      "InvalidArgument",
      `${name} must be a non-negative integer up to ${max}, got ${describeValue(value)}`,
    );
  }
  return value;
}

function optionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value !== undefined && typeof value !== "boolean") {
    // A string such as "false" would otherwise turn the option on.
    throw new LockError("InvalidArgument", `${name} must be a boolean, got ${typeof value}`);
  }
  return value;
}

function optionalFunction(value: unknown, name: string): unknown {
  if (value !== undefined && typeof value !== "function") {
    throw new LockError("InvalidArgument", `${name} must be a function, got ${typeof value}`);
  }
  return value;
}

/** maxHoldMs: Infinity, or an integer from ttlMs (a bound below one lease is a shorter TTL). */
function resolveMaxHold(value: unknown, ttlMs: number, autoExtend: boolean): number {
  if (value === undefined) {
    return autoExtend ? Math.max(LOCK_DEFAULTS.maxHoldMs, ttlMs) : Number.POSITIVE_INFINITY;
  }
  if (value === Number.POSITIVE_INFINITY) return value;
  if (
    typeof value !== "number" ||
    !Number.isInteger(value) ||
    value < ttlMs ||
    value > Number.MAX_SAFE_INTEGER
  ) {
    throw new LockError(
      "InvalidArgument",
      `maxHoldMs must be Infinity or an integer of milliseconds >= ttlMs (${ttlMs}), got ${describeValue(value)}`,
    );
  }
  return value;
}

const JITTERS: readonly Jitter[] = ["equal", "full", "none"];

/**
 * Merges call options over `defaults` over `LOCK_DEFAULTS` and validates every value, before any
 * I/O. The key itself is validated by the backend's rules in `normalizeKey`.
 */
export function resolveLockOptions(
  options: LockOptions,
  defaults: LockDefaultsLike = {},
  entry: LockEntry = "lock",
): ResolvedLockOptions {
  if (options === null || typeof options !== "object") {
    throw new LockError("InvalidArgument", "Lock options must be an object with a key");
  }
  checkOptionNames(options, LOCK_OPTION_NAMES, `${entry}() options`);
  if (options.acquisition !== undefined) checkAcquisition(options.acquisition);
  if (defaults.acquisition !== undefined) checkAcquisition(defaults.acquisition);
  const usedAcquisitionForm =
    options.acquisition !== undefined || defaults.acquisition !== undefined;
  const legacy = usedAcquisitionForm ? { ...defaults.acquisition, ...options.acquisition } : {};
  const pick = <K extends keyof LockOptions>(name: K): LockOptions[K] =>
    (options[name] ??
      (legacy as Partial<LockOptions>)[name] ??
      defaults[name as keyof typeof defaults]) as LockOptions[K];
  const jitter = pick("jitter") ?? LOCK_DEFAULTS.jitter;
  if (!JITTERS.includes(jitter)) {
    throw new LockError("InvalidArgument", `jitter must be one of ${JITTERS.join(", ")}`);
  }
  const resolved: ResolvedLockOptions = {
    key: options.key,
    ttlMs: validateTtl(pick("ttlMs") ?? LOCK_DEFAULTS.ttlMs),
    timeoutMs: nonNegativeInteger(pick("timeoutMs") ?? LOCK_DEFAULTS.timeoutMs, "timeoutMs"),
    maxRetries: nonNegativeInteger(
      pick("maxRetries") ?? LOCK_DEFAULTS.maxRetries,
      "maxRetries",
      Number.MAX_SAFE_INTEGER,
    ),
    retryDelayMs: nonNegativeInteger(
      pick("retryDelayMs") ?? LOCK_DEFAULTS.retryDelayMs,
      "retryDelayMs",
    ),
    maxRetryDelayMs: nonNegativeInteger(
      pick("maxRetryDelayMs") ?? LOCK_DEFAULTS.maxRetryDelayMs,
      "maxRetryDelayMs",
    ),
    jitter,
    releaseTimeoutMs: validateTtl(
      pick("releaseTimeoutMs") ?? LOCK_DEFAULTS.releaseTimeoutMs,
      "releaseTimeoutMs",
    ),
    autoExtend: optionalBoolean(pick("autoExtend"), "autoExtend") ?? entry === "lock",
    maxHoldMs: 0,
  };
  resolved.maxHoldMs = resolveMaxHold(pick("maxHoldMs"), resolved.ttlMs, resolved.autoExtend);
  const signal = validateSignal(pick("signal"));
  if (signal !== undefined) resolved.signal = signal;
  const onReleaseError = optionalFunction(pick("onReleaseError"), "onReleaseError");
  if (onReleaseError !== undefined) resolved.onReleaseError = onReleaseError as OnReleaseError;
  const onEvent = optionalFunction(pick("onEvent"), "onEvent");
  if (onEvent !== undefined) resolved.onEvent = onEvent as LockEventHandler;
  const logger = validateLogger(pick("logger"));
  if (logger !== undefined) resolved.logger = logger;
  if (usedAcquisitionForm) resolved.usedAcquisitionForm = true;
  if (resolved.maxRetryDelayMs < resolved.retryDelayMs)
    resolved.maxRetryDelayMs = resolved.retryDelayMs;
  return resolved;
}

function checkAcquisition(acquisition: unknown): void {
  if (acquisition === null || typeof acquisition !== "object") {
    throw new LockError("InvalidArgument", "acquisition must be an object (or leave it out)");
  }
  checkOptionNames(acquisition, ACQUISITION_NAMES, "the acquisition options");
}

/**
 * Resolves the options of each call of one lock function. The defaults are resolved and checked
 * once, when the lock function is made; a call that names only its key (the common case) then
 * costs one name check and one copy, instead of merging and validating every option again.
 */
export class LockOptionResolver {
  readonly #defaults: LockDefaultsLike;
  readonly #entry: LockEntry;
  readonly #base: ResolvedLockOptions;

  constructor(defaults: LockDefaultsLike, entry: LockEntry) {
    this.#defaults = defaults;
    this.#entry = entry;
    this.#base = resolveLockOptions({ key: "" }, defaults, entry);
  }

  resolve(options: LockOptions): ResolvedLockOptions {
    if (options === null || typeof options !== "object") {
      throw new LockError("InvalidArgument", "Lock options must be an object with a key");
    }
    for (const name in options) {
      if (name !== "key" && Object.hasOwn(options, name)) {
        return resolveLockOptions(options, this.#defaults, this.#entry);
      }
    }
    return { ...this.#base, key: options.key };
  }
}
