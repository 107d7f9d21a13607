import {
  CLEANUP_GUARD_MS,
  type KeyOptions,
  normalizeKey,
  TIME_TOLERANCE_MS,
  throwIfAborted,
} from "@syncguard/core";
import type { OperationContext } from "../context";
import { layoutForKey } from "../keys";
import { replyNumber } from "../reply";
import { defineLuaScript, runScript } from "../scripts";

/**
 * KEYS: lock record. ARGV: tolerance, cleanup flag, cleanup guard, index prefix of this slot.
 * Returns 1 live, 0 not. Writes only with the cleanup flag, and then only a record expired for
 * longer than the guard plus its index entry, never the fence counter. (Records normally vanish
 * by PX at the liveness boundary; cleanup catches ones whose TTL was removed or never applied.)
 */
export const IS_LOCKED_LUA = `local record = redis.call('HMGET', KEYS[1], 'lockId', 'expiresAtMs')
if not record[1] then return 0 end
local expiresAt = tonumber(record[2])
if now < expiresAt + tonumber(ARGV[1]) then return 1 end
if ARGV[2] == '1' and now - expiresAt > tonumber(ARGV[3]) then
  redis.call('DEL', KEYS[1], ARGV[4] .. record[1])
end
return 0
`;

const script = defineLuaScript("isLocked", IS_LOCKED_LUA);

export async function isLocked(ctx: OperationContext, options: KeyOptions): Promise<boolean> {
  const key = normalizeKey(options?.key);
  throwIfAborted(options.signal, "isLocked");
  const layout = layoutForKey(ctx.config.keyPrefix, key);
  const reply = await runScript(ctx.client, script, {
    keys: [layout.lock],
    arguments: [
      String(TIME_TOLERANCE_MS),
      ctx.config.cleanupInIsLocked ? "1" : "0",
      String(CLEANUP_GUARD_MS),
      layout.indexPrefix,
    ],
  });
  return replyNumber(reply, "isLocked") === 1;
}
