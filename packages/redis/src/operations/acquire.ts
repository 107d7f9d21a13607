import {
  type AcquireOptions,
  type AcquireResult,
  fenceOverflowError,
  formatFence,
  generateLockId,
  MAX_FENCE,
  normalizeKey,
  TIME_TOLERANCE_MS,
  throwIfAborted,
  validateTtl,
  warnIfFenceNearLimit,
} from "@syncguard/core";
import type { OperationContext } from "../context";
import { layoutForKey } from "../keys";
import { malformed, replyArray, replyNumber } from "../reply";
import { defineLuaScript, runScript } from "../scripts";
import type { RedisCapabilities } from "../types";

/**
 * KEYS: lock record, fence counter, new index entry, wait queue, reservation.
 * ARGV: lockId, ttlMs, tolerance, max fence, normalized key, index prefix of this slot,
 * waiter id ('' for none), waiter timeout ms.
 * Returns {1, fence, expiresAtMs} | {0, holder fence, holder remainingMs} | {2, reservation
 * remainingMs} (free but handed to an older waiter) | {-1} (fence overflow).
 * The record and index live ttl + tolerance, so Redis drops them exactly when they stop being live.
 * A waiter that finds the key taken is queued (oldest first) so a release can hand it the key.
 */
export const ACQUIRE_LUA = `local ttl = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local waiter = ARGV[7]
local function enqueue()
  if waiter == '' then return end
  local waitMs = tonumber(ARGV[8])
  redis.call('ZADD', KEYS[4], 'NX', now + waitMs, waiter)
  if redis.call('PTTL', KEYS[4]) < waitMs then redis.call('PEXPIRE', KEYS[4], waitMs + 1000) end
end
local current = redis.call('HMGET', KEYS[1], 'lockId', 'expiresAtMs', 'fence')
if current[1] then
  local liveUntil = tonumber(current[2]) + tolerance
  if now < liveUntil then
    enqueue()
    return {0, current[3], liveUntil - now}
  end
end
local reserved = redis.call('GET', KEYS[5])
if reserved and reserved ~= waiter then
  enqueue()
  return {2, redis.call('PTTL', KEYS[5])}
end
-- Check for overflow before writing anything, so a refused acquire leaves no trace.
if tonumber(redis.call('GET', KEYS[2]) or '0') >= tonumber(ARGV[4]) then
  return {-1}
end
local fence = redis.call('INCR', KEYS[2])
if current[1] then
  redis.call('DEL', KEYS[1], ARGV[6] .. current[1])
end
local expiresAt = now + ttl
redis.call('HSET', KEYS[1], 'lockId', ARGV[1], 'key', ARGV[5], 'acquiredAtMs', now,
  'expiresAtMs', expiresAt, 'fence', fence)
redis.call('PEXPIRE', KEYS[1], ttl + tolerance)
redis.call('SET', KEYS[3], KEYS[1], 'PX', ttl + tolerance)
if reserved then redis.call('DEL', KEYS[5]) end
if waiter ~= '' then redis.call('ZREM', KEYS[4], waiter) end
return {1, fence, expiresAt}
`;

const script = defineLuaScript("acquire", ACQUIRE_LUA);

export async function acquire(
  ctx: OperationContext,
  options: AcquireOptions,
): Promise<AcquireResult<RedisCapabilities>> {
  const key = normalizeKey(options?.key);
  const ttlMs = validateTtl(options.ttlMs);
  throwIfAborted(options.signal, "acquire");
  const layout = layoutForKey(ctx.config.keyPrefix, key);
  // The route makes the lock findable from its lockId alone (release, extend, lookup by id).
  const lockId = generateLockId(layout.route);
  const reply = replyArray(
    await runScript(ctx.client, script, {
      keys: [
        layout.lock,
        layout.fence,
        `${layout.indexPrefix}${lockId}`,
        layout.queue,
        layout.reservation,
      ],
      arguments: [
        lockId,
        String(ttlMs),
        String(TIME_TOLERANCE_MS),
        String(MAX_FENCE),
        key,
        layout.indexPrefix,
        options.waiter?.id ?? "",
        String(options.waiter?.timeoutMs ?? 0),
      ],
    }),
    "acquire",
  );
  const code = replyNumber(reply[0], "acquire code");
  if (code === 1) {
    const fence = formatFence(replyNumber(reply[1], "acquire fence"));
    warnIfFenceNearLimit(key, fence);
    return { ok: true, lockId, expiresAtMs: replyNumber(reply[2], "acquire expiry"), fence };
  }
  if (code === 0) {
    return {
      ok: false,
      reason: "locked",
      holder: {
        fence: formatFence(replyNumber(reply[1], "holder fence")),
        remainingMs: replyNumber(reply[2], "holder remainingMs"),
      },
    };
  }
  if (code === 2) {
    // Free, but handed to an older waiter for a moment: try again once that has passed.
    return {
      ok: false,
      reason: "locked",
      holder: { remainingMs: replyNumber(reply[1], "reservation") },
    };
  }
  if (code === -1) throw fenceOverflowError(key);
  throw malformed("acquire", reply);
}
