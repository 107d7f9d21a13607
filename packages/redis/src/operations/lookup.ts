import {
  formatFence,
  hashLockId,
  type LockInfo,
  type LookupOptions,
  parseLookupOptions,
  throwIfAborted,
} from "@syncguard/core";
import type { OperationContext } from "../context";
import { layoutForKey, layoutForLockId } from "../keys";
import { parseRecord } from "../record";
import { replyString } from "../reply";
import { defineLuaScript, runScript } from "../scripts";
import type { RedisCapabilities } from "../types";

/** KEYS: lock key. Returns the lock record if it is live, else nil. */
export const LOOKUP_BY_KEY_LUA = `local record = redis.call('GET', KEYS[1])
if not record or isReservation(record) then return false end
local _, expiresAt = recordFenceAndExpiry(record)
if serverNow() >= expiresAt + TOLERANCE then return false end
return record
`;

/**
 * KEYS: index entry. ARGV: lockId. Resolves the lock through the index in the same script (same
 * slot) and returns its record only if this lockId still holds it and it is live.
 */
export const LOOKUP_BY_ID_LUA = `local lockKey = redis.call('GET', KEYS[1])
if not lockKey then return false end
local record = redis.call('GET', lockKey)
if not record or recordOwner(record) ~= ARGV[1] then return false end
local _, expiresAt = recordFenceAndExpiry(record)
if serverNow() >= expiresAt + TOLERANCE then return false end
return record
`;

const byKey = defineLuaScript("lookup", LOOKUP_BY_KEY_LUA);
const byId = defineLuaScript("lookup", LOOKUP_BY_ID_LUA);

function toInfo(reply: unknown): LockInfo<RedisCapabilities> | null {
  if (reply === null || reply === undefined) return null;
  const record = parseRecord(replyString(reply, "lookup"));
  return {
    key: record.key,
    lockIdHash: hashLockId(record.lockId),
    acquiredAtMs: record.acquiredAtMs,
    expiresAtMs: record.expiresAtMs,
    fence: formatFence(record.fence),
  };
}

export async function lookup(
  ctx: OperationContext,
  options: LookupOptions,
): Promise<LockInfo<RedisCapabilities> | null> {
  const target = parseLookupOptions(options);
  throwIfAborted(options.signal, "lookup");
  if (target.lockId !== undefined) {
    const layout = layoutForLockId(ctx.config.keyPrefix, target.lockId);
    return toInfo(
      await runScript(ctx.client, byId, {
        keys: [layout.index],
        arguments: [target.lockId],
      }),
    );
  }
  const layout = layoutForKey(ctx.config.keyPrefix, target.key);
  return toInfo(await runScript(ctx.client, byKey, { keys: [layout.lock], arguments: [] }));
}
