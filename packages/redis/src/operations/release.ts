import type { DriverLockIdInput, DriverRelease } from "@syncguard/core/driver";
import { callScript } from "../command";
import type { DriverContext } from "../context";
import { layoutForLockId } from "../keys";
import { malformed, replyNumber } from "../reply";
import { defineLuaScript, type PublishCommand } from "../scripts";
import type { ScriptCall } from "../types";
import RELEASE_LUA from "./release.lua";

// On a cluster the release is announced with sharded pub/sub, in the lock's own slot.
const scripts = {
  PUBLISH: defineLuaScript("release", RELEASE_LUA, "PUBLISH"),
  SPUBLISH: defineLuaScript("release", RELEASE_LUA, "SPUBLISH"),
} satisfies Record<PublishCommand, unknown>;

/**
 * The script's keys and arguments (see release.lua): everything is found from the lockId, and the
 * script names the release channel from the record's name when it has something to announce.
 */
export function releaseCall(prefix: string, lockId: string): ScriptCall {
  const layout = layoutForLockId(prefix, lockId);
  return { keys: [layout.record, layout.queue], arguments: [lockId] };
}

const RELEASED: DriverRelease = Object.freeze({ released: true, contended: false });
const HANDED_ON: DriverRelease = Object.freeze({ released: true, contended: true });
const NOT_HELD: DriverRelease = Object.freeze({ released: false });

/**
 * The script's reply. `contended`: someone heard the announcement (a waiter), which core uses to
 * let a waiter in before this process takes the key again (fair hand-off).
 */
export function releaseResult(reply: unknown): DriverRelease {
  switch (replyNumber(reply, "release")) {
    case 1:
      return RELEASED;
    case 2:
      return HANDED_ON;
    case 0:
      return NOT_HELD;
    default:
      throw malformed("release", reply);
  }
}

export function release(
  ctx: DriverContext,
  { lockId, signal }: DriverLockIdInput,
): Promise<DriverRelease> {
  const call = releaseCall(ctx.config.keyPrefix, lockId);
  return callScript(ctx, "release", scripts[ctx.publishCommand], call, signal).then(releaseResult);
}
