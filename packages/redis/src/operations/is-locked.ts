import { CLEANUP_GUARD_MS, type KeyOptions, normalizeKey, throwIfAborted } from "@syncguard/core";
import type { OperationContext } from "../context";
import { layoutForKey } from "../keys";
import { replyNumber } from "../reply";
import { defineLuaScript, runScript } from "../scripts";

/**
 * KEYS: lock key. ARGV: cleanup flag, and the index prefix of this slot when cleanup is on.
 * Returns 1 live, 0 not (a reservation is not a lock). Writes only with the cleanup flag, and then
 * only a record expired for longer than the guard plus its index entry, never the fence counter.
 * (Records normally vanish by PX at the liveness boundary; cleanup catches ones whose TTL was
 * removed or never applied.)
 */
export const IS_LOCKED_LUA = `local record = redis.call('GET', KEYS[1])
if not record or isReservation(record) then return 0 end
local now = serverNow()
local _, expiresAt = recordFenceAndExpiry(record)
if now < expiresAt + TOLERANCE then return 1 end
if ARGV[1] == '1' and now - expiresAt > ${CLEANUP_GUARD_MS} then
  redis.call('DEL', KEYS[1], ARGV[2] .. recordOwner(record))
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
    arguments: ctx.config.cleanupInIsLocked ? ["1", layout.indexPrefix] : ["0"],
  });
  return replyNumber(reply, "isLocked") === 1;
}
