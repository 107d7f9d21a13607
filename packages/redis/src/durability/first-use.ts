import { LockError } from "@syncguard/core";
import type { Settled } from "../clients/adapter";
import { serverVersionOf } from "../server-version";
import type { DurabilityConfig } from "./options";

/**
 * The probe sent behind the first-use script when durability is on, on the node of the first key:
 * `WAIT 0 1` (answers at once) tells whether the server takes WAIT at all (some managed services
 * refuse it); with aof, `WAITAOF 1 0 1` also needs Redis / Valkey 7.2+ and appendonly on.
 */
export function durabilityProbe(durability: DurabilityConfig): string[] {
  return durability.aof ? ["WAITAOF", "1", "0", "1"] : ["WAIT", "0", "1"];
}

/** Why the server cannot give the durability asked for, or undefined when it can. */
export function durabilityRefusal(
  durability: DurabilityConfig,
  reportedVersion: unknown,
  probe: Settled | undefined,
): LockError | undefined {
  const version = serverVersionOf(reportedVersion) ?? "(version unknown)";
  if (durability.aof) {
    const [major = 0, minor = 0] = version.split(".").map(Number);
    if (major < 7 || (major === 7 && minor < 2)) {
      return new LockError(
        "InvalidArgument",
        `durability.aof needs WAITAOF, which Redis ${version} does not have: it came in Redis 7.2 ` +
          "(Valkey 7.2). Upgrade the server, or drop aof to wait for replicas only (WAIT)",
      );
    }
  }
  if (probe === undefined || probe.ok) return undefined;
  const command = durability.aof ? "WAITAOF" : "WAIT";
  const said = probe.error instanceof Error ? probe.error.message : String(probe.error);
  const hint = /appendonly/i.test(said)
    ? "turn on appendonly on the primary and the replicas, or drop aof"
    : /^NOPERM/i.test(said)
      ? `grant it to the ACL user (+${command.toLowerCase()}), or remove the durability option`
      : "some managed services forbid it; without it, remove the durability option (a failover " +
        "may then lose a lock, see the README)";
  return new LockError(
    "InvalidArgument",
    `durability needs ${command}, which the server refused (${said}): ${hint}`,
    { cause: probe.error },
  );
}
