import type { DriverKeyInput, DriverSemaphoreReading, StoredPermit } from "@syncguard/core/driver";
import { formatFence } from "@syncguard/core/driver";
import { callScript } from "../command";
import type { DriverContext } from "../context";
import { permitLayout } from "../permit-layout";
import { malformed, replyArray, replyNumber, replyString } from "../reply";
import { defineLuaScript } from "../scripts";
import type { ScriptCall } from "../types";
import READ_PERMIT_LUA from "./read-permit.lua";

export const readPermitScript = defineLuaScript("readPermit", READ_PERMIT_LUA);

/**
 * The script's keys and arguments (see read-permit.lua), by the semaphore's own names; `key` ""
 * reads whichever semaphore key holds them (a listing finds names, not keys).
 */
export function readPermitCall(permits: string, holders: string, key: string): ScriptCall {
  return { keys: [permits, holders], arguments: [key] };
}

/**
 * The script's reply as the driver reports it: the live permits, or undefined. Redis keeps no
 * acquisition time for a permit, so none is reported.
 */
export function readPermitResult(reply: unknown): DriverSemaphoreReading | undefined {
  const fields = replyArray(reply, "readPermit");
  if (fields.length === 0) return undefined;
  if (fields.length < 5 || (fields.length - 2) % 3 !== 0) throw malformed("readPermit", reply);
  const key = replyString(fields[0], "readPermit");
  const permits = replyNumber(fields[1], "readPermit");
  const holders: StoredPermit[] = [];
  for (let i = 2; i < fields.length; i += 3) {
    holders.push({
      key,
      lockId: replyString(fields[i], "readPermit"),
      expiresAtMs: Number(replyString(fields[i + 1], "readPermit")),
      fence: formatFence(BigInt(replyString(fields[i + 2], "readPermit"))),
      permits,
    });
  }
  return { permits, holders };
}

/** The live permits of one semaphore key, in one script: a consistent read at one server time. */
export function readPermit(
  ctx: DriverContext,
  { key, signal }: DriverKeyInput,
): Promise<DriverSemaphoreReading | undefined> {
  const layout = permitLayout(ctx.config.keyPrefix, key);
  const call = readPermitCall(layout.permits, layout.holders, key);
  return callScript(ctx, "readPermit", readPermitScript, call, signal).then(readPermitResult);
}
