import { type ExtendOptions, type ExtendResult, parseExtendOptions } from "@syncguard/core";
import { callScript, type OperationContext } from "../context";
import { layoutForLockId } from "../keys";
import { replyArray, replyNumber } from "../reply";
import { defineLuaScript, type ScriptCall } from "../scripts";
import EXTEND_LUA from "./extend.lua";

const script = defineLuaScript("extend", EXTEND_LUA);

/** The script's keys and arguments (see extend.lua). */
export function extendCall(prefix: string, lockId: string, ttlMs: number): ScriptCall {
  return { keys: [layoutForLockId(prefix, lockId).record], arguments: [lockId, String(ttlMs)] };
}

export function extendResult(reply: unknown): ExtendResult {
  const values = replyArray(reply, "extend");
  if (replyNumber(values[0], "extend code") !== 1) return { ok: false };
  return { ok: true, expiresAtMs: replyNumber(values[1], "extend expiry") };
}

export async function extend(ctx: OperationContext, options: ExtendOptions): Promise<ExtendResult> {
  const { lockId, ttlMs, signal } = parseExtendOptions(options);
  const call = extendCall(ctx.config.keyPrefix, lockId, ttlMs);
  return extendResult(await callScript(ctx, "extend", script, call, signal));
}
