import type { DriverPermitIdInput, DriverRelease } from "@syncguard/core/driver";
import { callScript } from "../command";
import type { DriverContext } from "../context";
import { permitLayout } from "../permit-layout";
import { malformed, replyNumber } from "../reply";
import { defineLuaScript, type PublishCommand } from "../scripts";
import type { ScriptCall } from "../types";
import RELEASE_PERMIT_LUA from "./release-permit.lua";

// On a cluster the release is announced with sharded pub/sub, in the semaphore's own slot.
const scripts = {
  PUBLISH: defineLuaScript("releasePermit", RELEASE_PERMIT_LUA, "PUBLISH"),
  SPUBLISH: defineLuaScript("releasePermit", RELEASE_PERMIT_LUA, "SPUBLISH"),
} satisfies Record<PublishCommand, unknown>;

/** The script's keys and arguments (see release-permit.lua). */
export function releasePermitCall(prefix: string, key: string, lockId: string): ScriptCall {
  const layout = permitLayout(prefix, key);
  return {
    keys: [layout.permits, layout.holders, layout.queue],
    arguments: [lockId, layout.channel],
  };
}

export function releasePermitResult(reply: unknown): DriverRelease {
  switch (replyNumber(reply, "releasePermit")) {
    case 1:
      return { released: true, contended: false };
    case 2:
      return { released: true, contended: true };
    case 0:
      return { released: false };
    default:
      throw malformed("releasePermit", reply);
  }
}

export function releasePermit(
  ctx: DriverContext,
  { key, lockId, signal }: DriverPermitIdInput,
): Promise<DriverRelease> {
  const call = releasePermitCall(ctx.config.keyPrefix, key, lockId);
  return callScript(ctx, "releasePermit", scripts[ctx.publishCommand], call, signal).then(
    releasePermitResult,
  );
}
