import {
  type ReleaseOptions,
  type ReleaseResult,
  TIME_TOLERANCE_MS,
  throwIfAborted,
  validateLockId,
} from "@syncguard/core";
import type { OperationContext } from "../context";
import { layoutForLockId } from "../keys";
import { replyArray, replyNumber } from "../reply";
import { defineLuaScript, runScript } from "../scripts";

/**
 * KEYS: index entry of the lockId. ARGV: lockId, tolerance, lock key prefix of this slot,
 * channel prefix of this slot, publish command, queue prefix, reservation prefix, hand-off ms.
 * If waiters are queued, the key is reserved for the oldest live one for a short hand-off window
 * and the publish names it, so only that waiter wakes (no stampede) and waiters are served in
 * order; a waiter that died only costs the window.
 * Returns {code, receivers}: code 1 released, 0 not held by this lockId, -1 held by it but already
 * expired; receivers is how many subscribers heard the release (waiters somewhere), which core
 * uses to let a waiter in before this process takes the key again (fair handoff).
 * The lock key comes from the index; it shares the index's hash tag, so it is in the same slot.
 */
export const RELEASE_LUA = `local lockKey = redis.call('GET', KEYS[1])
if not lockKey then return {0, 0} end
local record = redis.call('HMGET', lockKey, 'lockId', 'expiresAtMs')
-- Explicit ownership check: the index must never let one holder delete another's lock.
if record[1] ~= ARGV[1] then return {0, 0} end
local live = now < tonumber(record[2]) + tonumber(ARGV[2])
redis.call('DEL', lockKey, KEYS[1])
local receivers = 0
if string.sub(lockKey, 1, #ARGV[3]) == ARGV[3] then
  local name = string.sub(lockKey, #ARGV[3] + 1)
  local queue = ARGV[6] .. name
  local message = 'released'
  redis.call('ZREMRANGEBYSCORE', queue, '-inf', now)
  local head = redis.call('ZPOPMIN', queue)
  if head[1] then
    redis.call('SET', ARGV[7] .. name, head[1], 'PX', tonumber(ARGV[8]))
    message = head[1]
  end
  receivers = redis.call(ARGV[5], ARGV[4] .. name, message)
end
if live then return {1, receivers} end
return {-1, receivers}
`;

const script = defineLuaScript("release", RELEASE_LUA);

/**
 * How long a released key stays reserved for the waiter it was handed to. A live waiter takes it
 * within a round trip or two; a waiter that gave up or died blocks the key for at most this long.
 */
export const HANDOFF_WINDOW_MS = 250;

export async function release(
  ctx: OperationContext,
  options: ReleaseOptions,
): Promise<ReleaseResult> {
  const lockId = validateLockId(options?.lockId);
  throwIfAborted(options.signal, "release");
  const layout = layoutForLockId(ctx.config.keyPrefix, lockId);
  const reply = await runScript(ctx.client, script, {
    keys: [layout.index],
    arguments: [
      lockId,
      String(TIME_TOLERANCE_MS),
      layout.lockPrefix,
      layout.channelPrefix,
      ctx.publishCommand,
      layout.queuePrefix,
      layout.reservationPrefix,
      String(HANDOFF_WINDOW_MS),
    ],
  });
  const [code, receivers] = replyArray(reply, "release");
  const ok = replyNumber(code, "release code") === 1;
  return ok ? { ok, contended: replyNumber(receivers, "release receivers") > 0 } : { ok };
}
