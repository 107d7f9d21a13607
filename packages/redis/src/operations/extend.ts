import {
  type ExtendOptions,
  type ExtendResult,
  TIME_TOLERANCE_MS,
  throwIfAborted,
  validateLockId,
  validateTtl,
} from "@syncguard/core";
import type { OperationContext } from "../context";
import { layoutForLockId } from "../keys";
import { replyArray, replyNumber } from "../reply";
import { defineLuaScript, runScript } from "../scripts";

/**
 * KEYS: index entry of the lockId. ARGV: lockId, ttlMs, tolerance.
 * Returns {1, expiresAtMs} | {0} not held by this lockId | {-1} expired (never resurrected).
 * The new expiry replaces the old one: now + ttl by the server clock.
 */
export const EXTEND_LUA = `local lockKey = redis.call('GET', KEYS[1])
if not lockKey then return {0} end
local record = redis.call('HMGET', lockKey, 'lockId', 'expiresAtMs')
if record[1] ~= ARGV[1] then return {0} end
local ttl = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
if now >= tonumber(record[2]) + tolerance then return {-1} end
local expiresAt = now + ttl
redis.call('HSET', lockKey, 'expiresAtMs', expiresAt)
redis.call('PEXPIRE', lockKey, ttl + tolerance)
redis.call('PEXPIRE', KEYS[1], ttl + tolerance)
return {1, expiresAt}
`;

const script = defineLuaScript("extend", EXTEND_LUA);

export async function extend(ctx: OperationContext, options: ExtendOptions): Promise<ExtendResult> {
  const lockId = validateLockId(options?.lockId);
  const ttlMs = validateTtl(options.ttlMs);
  throwIfAborted(options.signal, "extend");
  const layout = layoutForLockId(ctx.config.keyPrefix, lockId);
  const reply = replyArray(
    await runScript(ctx.client, script, {
      keys: [layout.index],
      arguments: [lockId, String(ttlMs), String(TIME_TOLERANCE_MS)],
    }),
    "extend",
  );
  if (replyNumber(reply[0], "extend code") !== 1) return { ok: false };
  return { ok: true, expiresAtMs: replyNumber(reply[1], "extend expiry") };
}
