import { LockError } from "@syncguard/core";
import { writeLog } from "@syncguard/core/driver";
import { callScript, type OperationContext } from "./context";
import EVICTION_POLICY_LUA from "./eviction-policy.lua";
import { replyString } from "./reply";
import { defineLuaScript } from "./scripts";

const script = defineLuaScript("evictionPolicy", EVICTION_POLICY_LUA);

export interface MemorySettings {
  maxmemory: number;
  policy: string;
}

/** maxmemory and maxmemory_policy from an INFO memory reply. */
export function parseMemoryInfo(info: string): MemorySettings | undefined {
  const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
  const maxmemory = /^maxmemory:(\d+)/m.exec(info)?.[1];
  if (policy === undefined || maxmemory === undefined) return undefined;
  return { maxmemory: Number(maxmemory), policy };
}

/**
 * What the settings mean for locks (ADR-012): any eviction policy may delete a live lock record
 * once `maxmemory` is reached, and a second holder gets in. Without `maxmemory` nothing is
 * evicted, but the policy applies as soon as someone sets it.
 */
export function evictionRisk(settings: MemorySettings): "none" | "latent" | "live" {
  if (settings.policy === "noeviction") return "none";
  return settings.maxmemory > 0 ? "live" : "latent";
}

function describe(settings: MemorySettings): string {
  return (
    `Redis runs with maxmemory-policy ${settings.policy}` +
    (settings.maxmemory > 0 ? ` and maxmemory ${settings.maxmemory}` : " (maxmemory not set yet)") +
    ": under memory pressure it may evict a live lock and let a second holder in. " +
    "Set maxmemory-policy noeviction"
  );
}

/**
 * Checks the eviction policy of the node that will hold `routingKey`, once per backend, as the
 * config asks: "refuse" throws InvalidArgument when eviction is possible now, "warn" logs.
 * A server that refuses INFO (ACLs, managed services) gets a one-time warning, not a failure.
 */
export async function checkEvictionPolicy(
  ctx: OperationContext,
  routingKey: string,
  warn: (message: string) => void = (message) =>
    writeLog(ctx.config.logger, "warn", `[SyncGuard] ${message}`),
): Promise<void> {
  const mode = ctx.config.evictionPolicyCheck;
  if (mode === "off") return;
  let settings: MemorySettings | undefined;
  try {
    // Named after the operation it runs for, so a failure reads as that acquire's own.
    const reply = await callScript(ctx, "acquire", script, {
      keys: [routingKey],
      arguments: [],
    });
    settings = parseMemoryInfo(replyString(reply, "INFO memory"));
  } catch (error) {
    if (error instanceof LockError && error.code !== "AuthFailed" && error.code !== "Internal") {
      throw error; // the server is unreachable: the acquire would fail the same way
    }
  }
  if (!settings) {
    warn("could not read Redis maxmemory-policy (INFO refused); make sure it is noeviction");
    return;
  }
  const risk = evictionRisk(settings);
  if (risk === "none") return;
  if (risk === "live" && mode === "refuse") {
    throw new LockError(
      "InvalidArgument",
      `${describe(settings)}, or pass evictionPolicyCheck: "warn" to accept the risk`,
    );
  }
  warn(`${describe(settings)}.`);
}
