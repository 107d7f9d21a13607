import type { WaiterInfo } from "@syncguard/core/driver";
import { callScript } from "../command";
import type { DriverContext } from "../context";
import { queueMember } from "../keys";
import { permitLayout } from "../permit-layout";
import { defineLuaScript, type PublishCommand } from "../scripts";
import type { ScriptCall } from "../types";
import WITHDRAW_PERMIT_LUA from "./withdraw-permit.lua";

const scripts = {
  PUBLISH: defineLuaScript("withdrawPermit", WITHDRAW_PERMIT_LUA, "PUBLISH"),
  SPUBLISH: defineLuaScript("withdrawPermit", WITHDRAW_PERMIT_LUA, "SPUBLISH"),
} satisfies Record<PublishCommand, unknown>;

/** The script's keys and arguments (see withdraw-permit.lua). */
export function withdrawPermitCall(prefix: string, key: string, waiter: WaiterInfo): ScriptCall {
  const layout = permitLayout(prefix, key);
  return {
    keys: [layout.permits, layout.holders, layout.queue],
    arguments: [queueMember(waiter.id, waiter.budgetMs), waiter.id, layout.channel],
  };
}

/** Takes a permit waiter that gave up out of the semaphore's queue (see withdraw-permit.lua). */
export async function withdrawPermit(
  ctx: DriverContext,
  { key, waiter }: { readonly key: string; readonly waiter: WaiterInfo },
): Promise<void> {
  const call = withdrawPermitCall(ctx.config.keyPrefix, key, waiter);
  await callScript(ctx, "withdrawPermit", scripts[ctx.publishCommand], call);
}
