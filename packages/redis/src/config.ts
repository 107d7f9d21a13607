import { LockError, type Logger } from "@syncguard/core";
import {
  checkBackendOptionNames,
  utf8Bytes,
  validateLogger,
  validateTtl,
} from "@syncguard/core/driver";
import type { EvictionPolicyCheck, RedisBackendOptions } from "./types";

export const DEFAULT_KEY_PREFIX = "syncguard";
/** Keeps every generated key name short. */
export const MAX_KEY_PREFIX_BYTES = 256;
/** The bound on one operation unless the options say otherwise, as on the other stores. */
export const DEFAULT_OPERATION_TIMEOUT_MS = 10_000;

/** Every option `createRedisBackend` takes. */
export const REDIS_BACKEND_OPTION_NAMES: ReadonlySet<string> = new Set([
  "keyPrefix",
  "evictionPolicyCheck",
  "operationTimeoutMs",
  "logger",
]);

/** Options the Redis backend no longer takes, and why. */
export const REDIS_FOREIGN_OPTION_NAMES: Readonly<Record<string, string>> = Object.freeze({
  cleanupInIsLocked:
    "not a Redis option: every record carries its own expiry, so Redis deletes expired locks by itself; remove it",
});

export interface RedisBackendConfig {
  readonly keyPrefix: string;
  readonly evictionPolicyCheck: EvictionPolicyCheck;
  readonly operationTimeoutMs: number;
  readonly logger?: Logger;
}

const EVICTION_POLICY_CHECKS: readonly EvictionPolicyCheck[] = ["refuse", "warn", "off"];

const invalid = (message: string) => new LockError("InvalidArgument", message);

/** Applies defaults and validates; throws `InvalidArgument` synchronously on bad options. */
export function resolveConfig(options: RedisBackendOptions | undefined): RedisBackendConfig {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw invalid("Redis backend options must be an object");
  }
  if (options) {
    checkBackendOptionNames(
      options,
      REDIS_BACKEND_OPTION_NAMES,
      "createRedisBackend() options",
      REDIS_FOREIGN_OPTION_NAMES,
    );
  }
  const keyPrefix = options?.keyPrefix ?? DEFAULT_KEY_PREFIX;
  if (typeof keyPrefix !== "string" || keyPrefix.length === 0) {
    throw invalid("keyPrefix must be a non-empty string");
  }
  // Braces would change the hash tag Redis Cluster computes, splitting one lock across slots.
  if (keyPrefix.includes("{") || keyPrefix.includes("}")) {
    throw invalid("keyPrefix must not contain '{' or '}' (they would change the cluster hash tag)");
  }
  if (utf8Bytes(keyPrefix) > MAX_KEY_PREFIX_BYTES) {
    throw invalid(`keyPrefix must be at most ${MAX_KEY_PREFIX_BYTES} bytes`);
  }
  const evictionPolicyCheck = options?.evictionPolicyCheck ?? "refuse";
  if (!EVICTION_POLICY_CHECKS.includes(evictionPolicyCheck)) {
    throw invalid(`evictionPolicyCheck must be one of ${EVICTION_POLICY_CHECKS.join(", ")}`);
  }
  const operationTimeoutMs = validateTtl(
    options?.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS,
    "operationTimeoutMs",
  );
  const logger = validateLogger(options?.logger);
  return Object.freeze({
    keyPrefix,
    evictionPolicyCheck,
    operationTimeoutMs,
    ...(logger ? { logger } : {}),
  });
}
