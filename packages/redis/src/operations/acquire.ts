import type { Logger } from "@syncguard/core";
import {
  type DriverAcquireInput,
  type DriverAttempt,
  fenceOverflowError,
  formatFence,
  warnIfFenceNearLimit,
} from "@syncguard/core/driver";
import { callScript } from "../command";
import type { DriverContext } from "../context";
import { durableCall } from "../durability/acknowledge";
import type { DurabilityConfig } from "../durability/options";
import { layoutForTag, queueMember } from "../keys";
import { malformed, replyArray, replyNumber } from "../reply";
import { defineLuaScript } from "../scripts";
import type { ScriptCall } from "../types";
import ACQUIRE_LUA from "./acquire.lua";
import { release } from "./release";

const script = defineLuaScript("acquire", ACQUIRE_LUA);

/**
 * The script's keys and arguments (see acquire.lua). `expectFree`: the key is probably free, so
 * the script writes first (counter, clock, SET NX: the fewest commands for a free key) and reads
 * only if that fails. A write-first attempt carries no waiter and no queue: if the key is held,
 * core subscribes and tries again at once, and that attempt queues the caller. A waiter's later
 * attempts always read first: it may be queued, and the key was held a moment ago.
 */
export function acquireCall(
  prefix: string,
  parsed: DriverAcquireInput,
  expectFree: boolean,
): ScriptCall {
  const layout = layoutForTag(prefix, parsed.tag);
  const { waiter } = parsed;
  const head = [parsed.lockId, String(parsed.ttlMs), parsed.key];
  if (expectFree && (waiter === undefined || waiter.firstAttempt)) {
    return { keys: [layout.record, layout.fence], arguments: [...head, "1"] };
  }
  return {
    keys: [layout.record, layout.fence, layout.queue],
    arguments: waiter
      ? [
          ...head,
          "0",
          queueMember(waiter.id, waiter.budgetMs),
          String(waiter.timeoutMs),
          waiter.firstAttempt ? "0" : "1",
        ]
      : [...head, "0"],
  };
}

/** The script's reply as an attempt's outcome (see acquire.lua). */
export function acquireResult(reply: unknown, key: string, logger?: Logger): DriverAttempt {
  const values = replyArray(reply, "acquire");
  const code = replyNumber(values[0], "acquire code");
  if (code === 1) {
    const fence = formatFence(replyNumber(values[1], "acquire fence"));
    warnIfFenceNearLimit(key, fence, logger);
    return { acquired: true, expiresAtMs: replyNumber(values[2], "acquire expiry"), fence };
  }
  if (code === 0 || code === 2) {
    const remainingMs = replyNumber(values[code === 0 ? 2 : 1], "holder remainingMs");
    // -1: a value that does not say when it expires; its remaining time is unknown.
    const holder = {
      ...(code === 0 ? { fence: formatFence(replyNumber(values[1], "holder fence")) } : {}),
      ...(remainingMs >= 0 ? { remainingMs } : {}),
    };
    return { acquired: false, holder };
  }
  if (code === -1) throw fenceOverflowError(key);
  throw malformed("acquire", reply);
}

/**
 * One attempt (see acquire.lua). A key someone here waited for lately (its watch lingers) is
 * likely held again: it is read first; any other key is expected free (see acquireCall).
 */
export function acquire(ctx: DriverContext, input: DriverAcquireInput): Promise<DriverAttempt> {
  const expectFree = !ctx.watcher.isWatching(input.tag);
  const call = acquireCall(ctx.config.keyPrefix, input, expectFree);
  const { durability } = ctx.config;
  if (durability) return acquireDurably(ctx, durability, input, call);
  return callScript(ctx, "acquire", script, call, input.signal).then((reply) =>
    acquireResult(reply, input.key, ctx.config.logger),
  );
}

/** The attempt followed by WAIT / WAITAOF; a lock that too few replicas hold is released. */
function acquireDurably(
  ctx: DriverContext,
  durability: DurabilityConfig,
  input: DriverAcquireInput,
  call: ScriptCall,
): Promise<DriverAttempt> {
  return durableCall(ctx, durability, {
    operation: "acquire",
    kind: "acquire",
    noun: "lock",
    script,
    call,
    signal: input.signal,
    result: (reply) => acquireResult(reply, input.key, ctx.config.logger),
    wrote: (attempt) => attempt.acquired,
    undo: () => release(ctx, { lockId: input.lockId }),
  });
}
