import { writeLog } from "@syncguard/core/driver";
import { callScript } from "./command";
import type { DriverContext } from "./context";
import { applyEvictionPolicy } from "./eviction-policy";
import FIRST_USE_LUA from "./first-use.lua";
import { replyArray, replyString } from "./reply";
import { defineLuaScript } from "./scripts";
import { unsupportedServer } from "./server-version";

const script = defineLuaScript("firstUse", FIRST_USE_LUA);

/** What the first-use script saw: the version as reported, and INFO memory when asked for. */
export interface FirstUseReply {
  readonly version: unknown;
  readonly memoryInfo: string | undefined;
}

export function firstUseReply(reply: unknown): FirstUseReply {
  const [version, memory] = replyArray(reply, "first use");
  return {
    version,
    memoryInfo:
      memory === null || memory === undefined || memory === false || memory === 0
        ? undefined
        : replyString(memory, "INFO memory"),
  };
}

/**
 * Once per backend, before its first operation: refuses a server older than Redis 7.0
 * (`InvalidArgument`, naming its version), then checks the eviction policy of the node that holds
 * `routingKey` as the config asks (ADR-012). One script call, named after the operation it runs
 * for, so a failure reads as that operation's own. Only a refusal of INFO itself is forgiven: the
 * version comes without it on 7.0+.
 */
export async function checkAtFirstUse(
  ctx: DriverContext,
  operation: string,
  routingKey: string,
  warn: (message: string) => void = (message) =>
    writeLog(ctx.config.logger, "warn", `[SyncGuard] ${message}`),
): Promise<void> {
  const mode = ctx.config.evictionPolicyCheck;
  const reply = firstUseReply(
    await callScript(ctx, operation, script, {
      keys: [routingKey],
      arguments: [mode === "off" ? "0" : "1"],
    }),
  );
  const refusal = unsupportedServer(reply.version);
  if (refusal) throw refusal;
  applyEvictionPolicy(mode, reply.memoryInfo, warn);
}
