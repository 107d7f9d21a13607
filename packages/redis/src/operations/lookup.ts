import {
  formatFence,
  hashLockId,
  type LockInfo,
  type LookupOptions,
  parseLookupOptions,
  TIME_TOLERANCE_MS,
  throwIfAborted,
} from "@syncguard/core";
import type { OperationContext } from "../context";
import { layoutForKey, layoutForLockId } from "../keys";
import { replyArray, replyNumber, replyString } from "../reply";
import { defineLuaScript, runScript } from "../scripts";
import type { RedisCapabilities } from "../types";

const FIELDS = "'lockId', 'key', 'acquiredAtMs', 'expiresAtMs', 'fence'";

/** KEYS: lock record. ARGV: tolerance. Returns the record's fields if live, else nil. */
export const LOOKUP_BY_KEY_LUA = `local record = redis.call('HMGET', KEYS[1], ${FIELDS})
if not record[1] then return false end
if now >= tonumber(record[4]) + tonumber(ARGV[1]) then return false end
return record
`;

/**
 * KEYS: index entry. ARGV: lockId, tolerance. Resolves the lock through the index in the same
 * script (same slot) and returns its fields only if this lockId still holds it and it is live.
 */
export const LOOKUP_BY_ID_LUA = `local lockKey = redis.call('GET', KEYS[1])
if not lockKey then return false end
local record = redis.call('HMGET', lockKey, ${FIELDS})
if record[1] ~= ARGV[1] then return false end
if now >= tonumber(record[4]) + tonumber(ARGV[2]) then return false end
return record
`;

const byKey = defineLuaScript("lookup", LOOKUP_BY_KEY_LUA);
const byId = defineLuaScript("lookup", LOOKUP_BY_ID_LUA);

function toInfo(reply: unknown): LockInfo<RedisCapabilities> | null {
  if (reply === null || reply === undefined) return null;
  const fields = replyArray(reply, "lookup");
  return {
    key: replyString(fields[1], "lookup key"),
    lockIdHash: hashLockId(replyString(fields[0], "lookup lockId")),
    acquiredAtMs: replyNumber(fields[2], "lookup acquiredAtMs"),
    expiresAtMs: replyNumber(fields[3], "lookup expiresAtMs"),
    fence: formatFence(replyNumber(fields[4], "lookup fence")),
  };
}

export async function lookup(
  ctx: OperationContext,
  options: LookupOptions,
): Promise<LockInfo<RedisCapabilities> | null> {
  const target = parseLookupOptions(options);
  throwIfAborted(options.signal, "lookup");
  const tolerance = String(TIME_TOLERANCE_MS);
  if (target.lockId !== undefined) {
    const layout = layoutForLockId(ctx.config.keyPrefix, target.lockId);
    return toInfo(
      await runScript(ctx.client, byId, {
        keys: [layout.index],
        arguments: [target.lockId, tolerance],
      }),
    );
  }
  const layout = layoutForKey(ctx.config.keyPrefix, target.key);
  return toInfo(
    await runScript(ctx.client, byKey, { keys: [layout.lock], arguments: [tolerance] }),
  );
}
