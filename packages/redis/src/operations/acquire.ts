import {
  type AcquireOptions,
  type AcquireResult,
  fenceOverflowError,
  formatFence,
  generateLockId,
  MAX_FENCE,
  normalizeKey,
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
 * KEYS: lock key, fence counter, new index entry, and the wait queue when a waiter is given.
 * ARGV: lockId, ttlMs, normalized key, then (with a waiter) its id, its timeout ms, and '0' on its
 * first attempt (nothing of it can be queued yet, so nothing to dequeue) or '1'.
 * Returns {1, fence, expiresAtMs} | {0, holder fence, holder remainingMs} | {2, reservation
 * remainingMs} (free but handed to an older waiter) | {-1} (fence overflow).
 * The record and index live ttl + tolerance, so Redis drops them exactly when they stop being live;
 * a record still there past that (its TTL removed by hand) is judged by its expiresAtMs.
 * A waiter that finds the key taken is queued (oldest first) so a release can hand it the key.
 */
export const ACQUIRE_LUA = `local ttl = tonumber(ARGV[2])
local waiter = ARGV[4]
local now = serverNow()
local function enqueue()
  if not waiter then return end
  local waitMs = tonumber(ARGV[5])
  redis.call('ZADD', KEYS[4], 'NX', now + waitMs, waiter)
  if redis.call('PTTL', KEYS[4]) < waitMs then redis.call('PEXPIRE', KEYS[4], waitMs + 1000) end
end
local current = redis.call('GET', KEYS[1])
local expired = false
if current then
  if isReservation(current) then
    if string.sub(current, 2) ~= waiter then
      enqueue()
      return {2, redis.call('PTTL', KEYS[1])}
    end
  else
    local fence, expiresAt = recordFenceAndExpiry(current)
    local liveUntil = expiresAt + TOLERANCE
    if now < liveUntil then
      -- Turned away: mark the lock as waited on, so its release wakes the waiters.
      if not recordWaited(current) then
        redis.call('SET', KEYS[1], withWaited(current), 'KEEPTTL')
      end
      enqueue()
      return {0, fence, liveUntil - now}
    end
    expired = true
  end
end
local fence = redis.call('INCR', KEYS[2])
if fence > ${MAX_FENCE} then
  -- Undo at once: a refused acquire leaves no trace.
  redis.call('DECR', KEYS[2])
  return {-1}
end
if expired then
  -- The index entry of the expired holder goes with its record (same slot, same prefix).
  redis.call('DEL', string.sub(KEYS[3], 1, #KEYS[3] - #ARGV[1]) .. recordOwner(current))
end
local expiresAt = now + ttl
-- Whoever waited on the record or reservation this replaces still waits: keep announcing.
local waited = current ~= false and recordWaited(current)
redis.call('SET', KEYS[1], formatRecord(ARGV[1], fence, expiresAt, now, waited, ARGV[3]),
  'PX', ttl + TOLERANCE)
redis.call('SET', KEYS[3], KEYS[1], 'PX', ttl + TOLERANCE)
if waiter and ARGV[6] ~= '0' then redis.call('ZREM', KEYS[4], waiter) end
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
  const index = `${layout.indexPrefix}${lockId}`;
  const waiter = options.waiter;
  const call = waiter
    ? {
        keys: [layout.lock, layout.fence, index, layout.queue],
        arguments: [
          lockId,
          String(ttlMs),
          key,
          waiter.id,
          String(waiter.timeoutMs),
          waiter.firstAttempt ? "0" : "1",
        ],
      }
    : { keys: [layout.lock, layout.fence, index], arguments: [lockId, String(ttlMs), key] };
  const reply = replyArray(await runScript(ctx.client, script, call), "acquire");
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
