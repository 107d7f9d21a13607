import { LockError } from "@syncguard/core";
import { checkBackendOptionNames, describeValue } from "@syncguard/core/driver";
import type { RedisDurability } from "../types";

/** Every name the `durability` option takes. */
const DURABILITY_OPTION_NAMES: ReadonlySet<string> = new Set([
  "replicas",
  "aof",
  "timeoutMs",
  "onShortfall",
]);

/** More replicas than any deployment has: a typo, not a setting. */
export const MAX_DURABILITY_REPLICAS = 1_000;

export interface DurabilityConfig {
  readonly replicas: number;
  readonly aof: boolean;
  readonly timeoutMs: number;
  readonly onShortfall: "fail" | "warn";
}

const invalid = (message: string) => new LockError("InvalidArgument", message);

/**
 * Validates `durability` (InvalidArgument before any I/O). Its wait must end before the
 * operation's own bound, or a slow replica would read as a lost reply (NetworkTimeout).
 */
export function resolveDurability(
  value: RedisDurability | undefined,
  operationTimeoutMs: number,
): DurabilityConfig | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid("durability must be an object: { replicas, timeoutMs, aof?, onShortfall? }");
  }
  checkBackendOptionNames(value, DURABILITY_OPTION_NAMES, "createRedisBackend() durability");
  const { replicas, aof = false, timeoutMs, onShortfall = "fail" } = value;
  if (
    typeof replicas !== "number" ||
    !Number.isInteger(replicas) ||
    replicas < 1 ||
    replicas > MAX_DURABILITY_REPLICAS
  ) {
    throw invalid(
      `durability.replicas must be an integer from 1 to ${MAX_DURABILITY_REPLICAS} ` +
        `(replicas that must acknowledge each write), got ${describeValue(replicas)}`,
    );
  }
  if (typeof aof !== "boolean") throw invalid("durability.aof must be true or false");
  if (
    typeof timeoutMs !== "number" ||
    !Number.isInteger(timeoutMs) ||
    timeoutMs < 1 ||
    timeoutMs >= operationTimeoutMs
  ) {
    throw invalid(
      `durability.timeoutMs must be a positive integer of milliseconds below operationTimeoutMs ` +
        `(${operationTimeoutMs}), got ${describeValue(timeoutMs)}`,
    );
  }
  if (onShortfall !== "fail" && onShortfall !== "warn") {
    throw invalid(
      `durability.onShortfall must be "fail" or "warn", got ${describeValue(onShortfall)}`,
    );
  }
  return Object.freeze({ replicas, aof, timeoutMs, onShortfall });
}
