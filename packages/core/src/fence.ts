import { LockError } from "./errors";
import { type Logger, writeLog } from "./logger";

/** Fences are decimal strings of exactly this many digits, so string order equals number order. */
export const FENCE_DIGITS = 15;
/**
 * The largest fence a backend will issue. Acquire refuses (`Internal`, before writing anything)
 * once a key's counter reaches it. 9e14 stays far inside 2^53, so Lua and JS numbers are exact.
 */
export const MAX_FENCE = 900_000_000_000_000;
/** Above this a backend reports that the key's counter is nearing `MAX_FENCE`. */
export const FENCE_WARNING_THRESHOLD = 90_000_000_000_000;

const FENCE_PATTERN = /^\d{15}$/;
const FENCE_WARNING_TEXT = String(FENCE_WARNING_THRESHOLD).padStart(FENCE_DIGITS, "0");

export function formatFence(value: number | bigint): string {
  // Every acquisition formats one fence: a safe integer in range skips the BigInt round trip.
  if (
    typeof value === "number" &&
    Number.isSafeInteger(value) &&
    value >= 1 &&
    value <= MAX_FENCE
  ) {
    return String(value).padStart(FENCE_DIGITS, "0");
  }
  const n = BigInt(value);
  if (n < 1n || n > BigInt(MAX_FENCE)) {
    throw new LockError("Internal", `Fence ${n} is outside 1..${MAX_FENCE}`);
  }
  return n.toString().padStart(FENCE_DIGITS, "0");
}

export function isFence(value: unknown): value is string {
  return typeof value === "string" && FENCE_PATTERN.test(value);
}

export function parseFence(fence: string): bigint {
  if (!isFence(fence))
    throw new LockError("InvalidArgument", `Invalid fence: ${JSON.stringify(fence)}`);
  return BigInt(fence);
}

/** Orders two fences: negative if a is older than b, 0 if equal, positive if newer. */
export function compareFence(a: string, b: string): number {
  parseFence(a);
  parseFence(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The error every backend raises when a key's counter has no room for another fence. */
export function fenceOverflowError(key: string): LockError {
  return new LockError(
    "Internal",
    `Fence counter overflow: key has issued ${MAX_FENCE} fences; no further lock can be fenced`,
    { key },
  );
}

const warnedKeys = new Set<string>();

/**
 * Warns once per key and process when a fence passes the warning threshold, through `logger`
 * (a driver passes its backend's; default `console`).
 */
export function warnIfFenceNearLimit(key: string, fence: string, logger?: Logger): void {
  // Fences are zero-padded to one width, so text order is numeric order: no number parsed per call.
  if (fence <= FENCE_WARNING_TEXT || warnedKeys.has(key)) return;
  warnedKeys.add(key);
  writeLog(
    logger,
    "warn",
    `[SyncGuard] Fence counter approaching limit: fence=${fence}, max=${MAX_FENCE}, key=${JSON.stringify(key.slice(0, 64))}`,
    { key, fence, maxFence: MAX_FENCE },
  );
}
