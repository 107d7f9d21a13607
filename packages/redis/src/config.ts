import { LockError, type Logger } from "@syncguard/core";
import {
  checkBackendOptionNames,
  utf8Bytes,
  validateLogger,
  validateTtl,
} from "@syncguard/core/driver";
import { type DurabilityConfig, resolveDurability } from "./durability/options";
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
  "durability",
  "logger",
  "subscriberConfig",
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
  readonly durability?: DurabilityConfig;
  readonly logger?: Logger;
  /** Valkey GLIDE only: the configuration of the backend's own wake-up subscriber (ADR-042). */
  readonly subscriberConfig?: object;
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
  const durability = resolveDurability(options?.durability, operationTimeoutMs);
  const logger = validateLogger(options?.logger);
  const subscriberConfig = validateSubscriberConfig(options?.subscriberConfig);
  return Object.freeze({
    keyPrefix,
    evictionPolicyCheck,
    operationTimeoutMs,
    ...(durability ? { durability } : {}),
    ...(logger ? { logger } : {}),
    ...(subscriberConfig ? { subscriberConfig } : {}),
  });
}

/**
 * A GLIDE client configuration (it needs `addresses`) without subscriptions of its own: the
 * backend's subscriber takes only its own channels, with its own callback.
 */
function validateSubscriberConfig(config: unknown): object | undefined {
  if (config === undefined) return undefined;
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw invalid(
      "subscriberConfig must be a Valkey GLIDE client configuration object ({ addresses, ... })",
    );
  }
  const { addresses, pubsubSubscriptions } = config as {
    addresses?: unknown;
    pubsubSubscriptions?: unknown;
  };
  if (!Array.isArray(addresses) || addresses.length === 0) {
    throw invalid(
      "subscriberConfig.addresses must be a non-empty array, as in the GLIDE client's own configuration",
    );
  }
  if (pubsubSubscriptions !== undefined) {
    throw invalid(
      "subscriberConfig must not have pubsubSubscriptions: the backend's subscriber takes only its own channels; keep your subscriptions on your own client",
    );
  }
  return config;
}
