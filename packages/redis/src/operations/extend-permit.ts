import type { DriverPermitExtendInput } from "@syncguard/core/driver";
import { callScript } from "../command";
import type { DriverContext } from "../context";
import { durableCall } from "../durability/acknowledge";
import { permitLayout } from "../permit-layout";
import { malformed, replyNumber } from "../reply";
import { defineLuaScript } from "../scripts";
import type { ScriptCall } from "../types";
import EXTEND_PERMIT_LUA from "./extend-permit.lua";

const script = defineLuaScript("extendPermit", EXTEND_PERMIT_LUA);

/** The script's keys and arguments (see extend-permit.lua). */
export function extendPermitCall(
  prefix: string,
  key: string,
  lockId: string,
  ttlMs: number,
): ScriptCall {
  const layout = permitLayout(prefix, key);
  return { keys: [layout.permits, layout.holders], arguments: [lockId, String(ttlMs)] };
}

/** The new expiry, or undefined when the permit is not held by this lockId. */
export function extendPermitResult(reply: unknown): { expiresAtMs: number } | undefined {
  const expiresAtMs = replyNumber(reply, "extendPermit");
  if (expiresAtMs < 0) throw malformed("extendPermit", reply);
  return expiresAtMs === 0 ? undefined : { expiresAtMs };
}

export function extendPermit(
  ctx: DriverContext,
  { key, lockId, ttlMs, signal }: DriverPermitExtendInput,
): Promise<{ expiresAtMs: number } | undefined> {
  const call = extendPermitCall(ctx.config.keyPrefix, key, lockId, ttlMs);
  const { durability } = ctx.config;
  if (!durability) {
    return callScript(ctx, "extendPermit", script, call, signal).then(extendPermitResult);
  }
  return durableCall(ctx, durability, {
    operation: "extendPermit",
    kind: "extend",
    noun: "permit",
    script,
    call,
    signal,
    result: extendPermitResult,
    wrote: (extended) => extended !== undefined,
  });
}
