import {
  type ExtendOptions,
  type ExtendResult,
  throwIfAborted,
  validateLockId,
  validateTtl,
} from "@syncguard/core";
import type { OperationContext } from "../context";
import { layoutForLockId } from "../keys";
import { replyArray, replyNumber } from "../reply";
import { defineLuaScript, runScript } from "../scripts";

/**
 * KEYS: index entry of the lockId. ARGV: lockId, ttlMs.
 * Returns {1, expiresAtMs} | {0} not held by this lockId or no longer live (never resurrected).
 * The new expiry replaces the old one: now + ttl by the server clock; everything else in the
 * record is kept.
 */
export const EXTEND_LUA = `local lockKey = redis.call('GET', KEYS[1])
if not lockKey then return {0} end
local record = redis.call('GET', lockKey)
if not record or recordOwner(record) ~= ARGV[1] then return {0} end
local now = serverNow()
local _, expiresAt = recordFenceAndExpiry(record)
if now >= expiresAt + TOLERANCE then return {0} end
local ttl = tonumber(ARGV[2])
local newExpiry = now + ttl
redis.call('SET', lockKey, withExpiry(record, newExpiry), 'PX', ttl + TOLERANCE)
redis.call('PEXPIRE', KEYS[1], ttl + TOLERANCE)
return {1, newExpiry}
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
      arguments: [lockId, String(ttlMs)],
    }),
    "extend",
  );
  if (replyNumber(reply[0], "extend code") !== 1) return { ok: false };
  return { ok: true, expiresAtMs: replyNumber(reply[1], "extend expiry") };
}
