import { LockError } from "@syncguard/core";
import type { EvictionPolicyCheck } from "./types";

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
 * Acts on the memory settings of the node that will hold the locks (read once per backend, at
 * first use, see first-use.ts), as the config asks: "refuse" throws InvalidArgument when eviction
 * is possible now, "warn" logs. A server that refused INFO (ACLs, managed services) gets a
 * one-time warning, not a failure.
 */
export function applyEvictionPolicy(
  mode: EvictionPolicyCheck,
  memoryInfo: string | undefined,
  warn: (message: string) => void,
): void {
  if (mode === "off") return;
  const settings = memoryInfo === undefined ? undefined : parseMemoryInfo(memoryInfo);
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
