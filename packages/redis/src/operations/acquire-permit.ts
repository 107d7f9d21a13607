import type { Logger } from "@syncguard/core";
import {
  type DriverAttempt,
  type DriverPermitInput,
  fenceOverflowError,
  formatFence,
  permitsMismatchError,
  warnIfFenceNearLimit,
} from "@syncguard/core/driver";
import { callScript } from "../command";
import type { DriverContext } from "../context";
import { durableCall } from "../durability/acknowledge";
import { queueMember } from "../keys";
import { permitLayout } from "../permit-layout";
import { malformed, replyArray, replyNumber } from "../reply";
import { defineLuaScript } from "../scripts";
import type { ScriptCall } from "../types";
import ACQUIRE_PERMIT_LUA from "./acquire-permit.lua";
import { releasePermit } from "./release-permit";

const script = defineLuaScript("acquirePermit", ACQUIRE_PERMIT_LUA);

/** The script's keys and arguments (see acquire-permit.lua). */
export function acquirePermitCall(prefix: string, input: DriverPermitInput): ScriptCall {
  const layout = permitLayout(prefix, input.key);
  const head = [input.lockId, String(input.ttlMs), input.key, String(input.permits)];
  // A first attempt is never queued (as a lock's): if turned away, core listens and tries again
  // at once, and that attempt queues it; a caller that makes one attempt only is never queued.
  const waiter = input.waiter?.firstAttempt ? undefined : input.waiter;
  return {
    keys: [layout.permits, layout.holders, layout.fence, layout.queue],
    arguments: waiter
      ? [...head, queueMember(waiter.id, waiter.budgetMs), String(waiter.timeoutMs), waiter.id]
      : head,
  };
}

/** The script's reply as an attempt's outcome (see acquire-permit.lua). */
export function acquirePermitResult(
  reply: unknown,
  input: DriverPermitInput,
  logger?: Logger,
): DriverAttempt {
  const values = replyArray(reply, "acquirePermit");
  switch (replyNumber(values[0], "acquirePermit code")) {
    case 1: {
      const fence = formatFence(replyNumber(values[1], "permit fence"));
      warnIfFenceNearLimit(input.key, fence, logger);
      return { acquired: true, expiresAtMs: replyNumber(values[2], "permit expiry"), fence };
    }
    case 0:
      return {
        acquired: false,
        holder: {
          fence: formatFence(replyNumber(values[1], "holder fence")),
          remainingMs: replyNumber(values[2], "holder remainingMs"),
        },
      };
    case 2:
      return { acquired: false, holder: { remainingMs: replyNumber(values[1], "remainingMs") } };
    case 3:
      throw permitsMismatchError(input.key, replyNumber(values[1], "permits"), input.permits);
    case -1:
      throw fenceOverflowError(input.key);
    default:
      throw malformed("acquirePermit", reply);
  }
}

export function acquirePermit(
  ctx: DriverContext,
  input: DriverPermitInput,
): Promise<DriverAttempt> {
  const call = acquirePermitCall(ctx.config.keyPrefix, input);
  const result = (reply: unknown) => acquirePermitResult(reply, input, ctx.config.logger);
  const { durability } = ctx.config;
  if (!durability) return callScript(ctx, "acquirePermit", script, call, input.signal).then(result);
  // As a lock's acquire (ADR-040): a permit too few replicas hold is released again.
  return durableCall(ctx, durability, {
    operation: "acquirePermit",
    kind: "acquire",
    noun: "permit",
    script,
    call,
    signal: input.signal,
    result,
    wrote: (attempt) => attempt.acquired,
    undo: () => releasePermit(ctx, { key: input.key, lockId: input.lockId }),
  });
}
