import type { WaiterInfo } from "@syncguard/core/driver";
import { callScript, type OperationContext } from "../context";
import { layoutForKey, queueMember } from "../keys";
import { defineLuaScript, type PublishCommand } from "../scripts";
import ABANDON_WAIT_LUA from "./abandon-wait.lua";

const scripts = {
  PUBLISH: defineLuaScript("abandonWait", ABANDON_WAIT_LUA, "PUBLISH"),
  SPUBLISH: defineLuaScript("abandonWait", ABANDON_WAIT_LUA, "SPUBLISH"),
} satisfies Record<PublishCommand, unknown>;

/** Takes a waiter that gave up out of the key's queue (see abandon-wait.lua). */
export async function abandonWait(
  ctx: OperationContext,
  { key, waiter }: { key: string; waiter: WaiterInfo },
): Promise<void> {
  const layout = layoutForKey(ctx.config.keyPrefix, key);
  await callScript(ctx, "abandonWait", scripts[ctx.publishCommand], {
    keys: [layout.queue, layout.record],
    arguments: [queueMember(waiter.id, waiter.budgetMs)],
  });
}
