import type { WaiterInfo } from "@syncguard/core/driver";
import { callScript } from "../command";
import type { DriverContext } from "../context";
import { layoutForKey, queueMember } from "../keys";
import { defineLuaScript, type PublishCommand } from "../scripts";
import WITHDRAW_LUA from "./withdraw.lua";

const scripts = {
  PUBLISH: defineLuaScript("withdraw", WITHDRAW_LUA, "PUBLISH"),
  SPUBLISH: defineLuaScript("withdraw", WITHDRAW_LUA, "SPUBLISH"),
} satisfies Record<PublishCommand, unknown>;

/** Takes a waiter that gave up out of the key's queue (see withdraw.lua). */
export async function withdraw(
  ctx: DriverContext,
  { key, waiter }: { readonly key: string; readonly waiter: WaiterInfo },
): Promise<void> {
  const layout = layoutForKey(ctx.config.keyPrefix, key);
  await callScript(ctx, "withdraw", scripts[ctx.publishCommand], {
    keys: [layout.queue, layout.record],
    arguments: [queueMember(waiter.id, waiter.budgetMs)],
  });
}
