import {
  LOCK_ID_LENGTH,
  type ReleaseOptions,
  type ReleaseResult,
  throwIfAborted,
  validateLockId,
} from "@syncguard/core";
import type { OperationContext } from "../context";
import { layoutForLockId } from "../keys";
import { replyArray, replyNumber } from "../reply";
import { defineLuaScript, type LuaScript, runScript } from "../scripts";

/**
 * How long a released key stays reserved for the waiter it was handed to. A live waiter takes it
 * within a round trip or two; a waiter that gave up or died blocks the key for at most this long.
 */
export const HANDOFF_WINDOW_MS = 250;

/**
 * KEYS: index entry of the lockId. ARGV: lockId.
 * The lock key comes from the index; it shares the index's hash tag, so it is in the same slot,
 * and so are the queue and channel names derived from it here.
 * A lock nobody was turned away from is just deleted: no queue, no announcement. Otherwise, if
 * waiters are queued, the lock key becomes a reservation for the oldest live one for a short
 * hand-off window and the publish names it, so only that waiter wakes (no stampede) and waiters
 * are served in order; a waiter that died only costs the window. With no one queued the publish
 * says 'released' and wakes whoever listens.
 * Returns {1, receivers} released | {0, 0} not held by this live lockId. receivers is how many
 * subscribers heard the release (waiters somewhere), which core uses to let a waiter in before
 * this process takes the key again (fair handoff).
 */
function releaseLua(publishCommand: string): string {
  return `local lockKey = redis.call('GET', KEYS[1])
if not lockKey then return {0, 0} end
local record = redis.call('GET', lockKey)
-- Explicit ownership check: the index must never let one holder delete another's lock.
if not record or recordOwner(record) ~= ARGV[1] then return {0, 0} end
local now = serverNow()
local _, expiresAt = recordFenceAndExpiry(record)
if now >= expiresAt + TOLERANCE then return {0, 0} end
local slot = string.sub(KEYS[1], 1, #KEYS[1] - ${LOCK_ID_LENGTH + "id:".length})
local lockPrefix = slot .. 'lock:'
if not recordWaited(record) or string.sub(lockKey, 1, #lockPrefix) ~= lockPrefix then
  redis.call('DEL', lockKey, KEYS[1])
  return {1, 0}
end
local name = string.sub(lockKey, #lockPrefix + 1)
local queue = slot .. 'queue:' .. name
local head = redis.call('ZPOPMIN', queue)
if head[1] and tonumber(head[2]) <= now then
  -- The oldest waiters gave up: drop every one whose give-up time has passed.
  redis.call('ZREMRANGEBYSCORE', queue, '-inf', now)
  head = redis.call('ZPOPMIN', queue)
end
local message = 'released'
if head[1] then
  redis.call('SET', lockKey, '~' .. head[1], 'PX', ${HANDOFF_WINDOW_MS})
  redis.call('DEL', KEYS[1])
  message = head[1]
else
  redis.call('DEL', lockKey, KEYS[1])
end
return {1, redis.call('${publishCommand}', slot .. 'released:' .. name, message)}
`;
}

export const RELEASE_LUA = releaseLua("PUBLISH");
/** On a cluster the release is announced with sharded pub/sub, in the lock's own slot. */
export const RELEASE_SHARDED_LUA = releaseLua("SPUBLISH");

const scripts: Record<OperationContext["publishCommand"], LuaScript> = {
  PUBLISH: defineLuaScript("release", RELEASE_LUA),
  SPUBLISH: defineLuaScript("release", RELEASE_SHARDED_LUA),
};

export async function release(
  ctx: OperationContext,
  options: ReleaseOptions,
): Promise<ReleaseResult> {
  const lockId = validateLockId(options?.lockId);
  throwIfAborted(options.signal, "release");
  const layout = layoutForLockId(ctx.config.keyPrefix, lockId);
  const reply = await runScript(ctx.client, scripts[ctx.publishCommand], {
    keys: [layout.index],
    arguments: [lockId],
  });
  const [code, receivers] = replyArray(reply, "release");
  const ok = replyNumber(code, "release code") === 1;
  return ok ? { ok, contended: replyNumber(receivers, "release receivers") > 0 } : { ok };
}
