import type { DriverExtendInput } from "@syncguard/core/driver";
import { callScript } from "../command";
import type { DriverContext } from "../context";
import { durableCall } from "../durability/acknowledge";
import { layoutForLockId } from "../keys";
import { malformed, replyNumber } from "../reply";
import { defineLuaScript } from "../scripts";
import type { ScriptCall } from "../types";
import EXTEND_LUA from "./extend.lua";

const script = defineLuaScript("extend", EXTEND_LUA);

/** The script's keys and arguments (see extend.lua). */
export function extendCall(prefix: string, lockId: string, ttlMs: number): ScriptCall {
  return { keys: [layoutForLockId(prefix, lockId).record], arguments: [lockId, String(ttlMs)] };
}

/** The script's reply: the new expiry, or 0 when the lock is not held by this lockId. */
export function extendResult(reply: unknown): { expiresAtMs: number } | undefined {
  const expiresAtMs = replyNumber(reply, "extend");
  if (expiresAtMs < 0) throw malformed("extend", reply);
  return expiresAtMs === 0 ? undefined : { expiresAtMs };
}

export function extend(
  ctx: DriverContext,
  { lockId, ttlMs, signal }: DriverExtendInput,
): Promise<{ expiresAtMs: number } | undefined> {
  const call = extendCall(ctx.config.keyPrefix, lockId, ttlMs);
  const { durability } = ctx.config;
  if (!durability) return callScript(ctx, "extend", script, call, signal).then(extendResult);
  return durableCall(ctx, durability, {
    operation: "extend",
    kind: "extend",
    noun: "lock",
    script,
    call,
    signal,
    result: extendResult,
    wrote: (extended) => extended !== undefined,
  });
}
