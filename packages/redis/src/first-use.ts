import { writeLog } from "@syncguard/core/driver";
import { callScript } from "./command";
import type { DriverContext } from "./context";
import { clusterNodeError } from "./errors";
import { applyEvictionPolicy } from "./eviction-policy";
import FIRST_USE_LUA from "./first-use.lua";
import { replyArray, replyString } from "./reply";
import { defineLuaScript } from "./scripts";
import { unsupportedServer } from "./server-version";

const script = defineLuaScript("firstUse", FIRST_USE_LUA);

/**
 * What the first-use script saw: the version as reported, INFO memory when asked for, and
 * whether the node is a cluster node (undefined when INFO was refused).
 */
export interface FirstUseReply {
  readonly version: unknown;
  readonly memoryInfo: string | undefined;
  readonly clusterEnabled: boolean | undefined;
}

/** A script's `false` arrives as null (RESP2) or false (RESP3), and as 0 on some clients. */
const absent = (value: unknown): boolean =>
  value === null || value === undefined || value === false || value === 0;

export function firstUseReply(reply: unknown): FirstUseReply {
  const [version, memory, cluster] = replyArray(reply, "first use");
  return {
    version,
    memoryInfo: absent(memory) ? undefined : replyString(memory, "INFO memory"),
    clusterEnabled: absent(cluster)
      ? undefined
      : /^cluster_enabled:1\b/m.test(replyString(cluster, "INFO cluster")),
  };
}

/**
 * Once per backend, before its first operation: refuses a server older than Redis 7.0
 * (`InvalidArgument`, naming its version) and a Redis Cluster node reached with a single-node
 * client (`InvalidArgument`: it would serve only its own slots, the other keys failing with
 * MOVED), then checks the eviction policy of the node that holds `routingKey` as the config asks
 * (ADR-012). One script call, named after the operation it runs for, so a failure reads as that
 * operation's own (an AuthFailed stays one). Only a refusal of INFO itself is forgiven: the
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
  if (reply.clusterEnabled === true && !ctx.cluster) throw clusterNodeError(operation, ctx.library);
  applyEvictionPolicy(mode, reply.memoryInfo, warn);
}
