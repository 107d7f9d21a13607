import type { DriverLockIdInput, DriverRelease } from "@syncguard/core/driver";
import { callScript, type OperationContext } from "../context";
import { layoutForLockId } from "../keys";
import { replyArray, replyNumber } from "../reply";
import { defineLuaScript, type PublishCommand } from "../scripts";
import type { ScriptCall } from "../types";
import RELEASE_LUA from "./release.lua";

// On a cluster the release is announced with sharded pub/sub, in the lock's own slot.
const scripts = {
  PUBLISH: defineLuaScript("release", RELEASE_LUA, "PUBLISH"),
  SPUBLISH: defineLuaScript("release", RELEASE_LUA, "SPUBLISH"),
} satisfies Record<PublishCommand, unknown>;

/** The script's keys and arguments (see release.lua): everything is found from the lockId. */
export function releaseCall(prefix: string, lockId: string): ScriptCall {
  const layout = layoutForLockId(prefix, lockId);
  return { keys: [layout.record, layout.queue], arguments: [lockId, layout.channel] };
}

/**
 * The script's reply. `contended`: someone heard the announcement (a waiter), which core uses to
 * let a waiter in before this process takes the key again (fair hand-off).
 */
export function releaseResult(reply: unknown): DriverRelease {
  const [code, receivers] = replyArray(reply, "release");
  if (replyNumber(code, "release code") !== 1) return { released: false };
  return { released: true, contended: replyNumber(receivers, "release receivers") > 0 };
}

export async function release(
  ctx: OperationContext,
  { lockId, signal }: DriverLockIdInput,
): Promise<DriverRelease> {
  const call = releaseCall(ctx.config.keyPrefix, lockId);
  return releaseResult(await callScript(ctx, "release", scripts[ctx.publishCommand], call, signal));
}
