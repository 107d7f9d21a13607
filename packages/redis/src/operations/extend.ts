import type { DriverExtendInput } from "@syncguard/core/driver";
import { callScript, type OperationContext } from "../context";
import { layoutForLockId } from "../keys";
import { replyArray, replyNumber } from "../reply";
import { defineLuaScript } from "../scripts";
import type { ScriptCall } from "../types";
import EXTEND_LUA from "./extend.lua";

const script = defineLuaScript("extend", EXTEND_LUA);

/** The script's keys and arguments (see extend.lua). */
export function extendCall(prefix: string, lockId: string, ttlMs: number): ScriptCall {
  return { keys: [layoutForLockId(prefix, lockId).record], arguments: [lockId, String(ttlMs)] };
}

export function extendResult(reply: unknown): { expiresAtMs: number } | undefined {
  const values = replyArray(reply, "extend");
  if (replyNumber(values[0], "extend code") !== 1) return undefined;
  return { expiresAtMs: replyNumber(values[1], "extend expiry") };
}

export async function extend(
  ctx: OperationContext,
  { lockId, ttlMs, signal }: DriverExtendInput,
): Promise<{ expiresAtMs: number } | undefined> {
  const call = extendCall(ctx.config.keyPrefix, lockId, ttlMs);
  return extendResult(await callScript(ctx, "extend", script, call, signal));
}
