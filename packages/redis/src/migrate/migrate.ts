import { formatFence, MAX_FENCE } from "@syncguard/core/driver";
import { toRedisLockError } from "../errors";
import { type IoredisMigrationClient, ioredisCommands, isIoredisMigrationClient } from "./ioredis";
import { type MigrationClient, nodeRedisCommands } from "./node-redis";
import { type RedisMigrationOptions, resolveMigrationOptions } from "./options";
import { planCounters, type SkippedKey } from "./plan";
import { raiseCounters } from "./raise";

/** What `migrateFrom2x` found and did. */
export interface RedisMigrationReport {
  /** True when nothing was written (`dryRun`). */
  readonly dryRun: boolean;
  /** Names that matched a 2.x fence counter pattern. */
  readonly keysScanned: number;
  /** 2.x fence counters read. */
  readonly countersFound: number;
  /** Matching names that held no counter (left alone). */
  readonly skipped: number;
  /**
   * The first 100 of those, with the type each held (a hash, a list, a string that is not an
   * integer...): data of your own whose name matches the 2.x pattern. Left alone.
   */
  readonly skippedKeys: readonly SkippedKey[];
  /**
   * Counters whose key cannot be told from their name (2.x hashed names of very long prefixes):
   * every route counter was raised to the highest of them.
   */
  readonly unmapped: number;
  /** New route counters checked. */
  readonly routeCounters: number;
  /** Route counters raised (in a dry run: that would be raised). 0 when run a second time. */
  readonly countersRaised: number;
  /** The highest fence 2.x issued (15 digits), or null when no counter was found. */
  readonly highestFence: string | null;
}

/** 2.x could push a counter past the limit (it counted refused acquires too); report it in full. */
const showFence = (value: bigint) =>
  value > BigInt(MAX_FENCE) ? value.toString() : formatFence(value);

/**
 * Carries syncguard 2.x fence counters over to this backend's per-route counters, so that the
 * first fence the new backend issues for any key is greater than every fence 2.x issued for it.
 * Each route counter is raised to the highest 2.x counter of the keys on its route, atomically,
 * never lowered; running it again changes nothing. 2.x data is read, never changed or deleted.
 * Run it while no 2.x process can acquire (see MIGRATING.md).
 */
export async function migrateFrom2x(
  client: MigrationClient | IoredisMigrationClient,
  options?: RedisMigrationOptions,
): Promise<RedisMigrationReport> {
  const { oldPrefix, keyPrefix, dryRun } = resolveMigrationOptions(options);
  const commands =
    typeof client === "object" && client !== null && isIoredisMigrationClient(client)
      ? ioredisCommands(client)
      : nodeRedisCommands(client);
  try {
    const plan = await planCounters(commands, oldPrefix, keyPrefix);
    const countersRaised = await raiseCounters(commands, plan.floors, dryRun);
    return {
      dryRun,
      keysScanned: plan.scanned,
      countersFound: plan.found,
      skipped: plan.skipped,
      skippedKeys: plan.skippedKeys,
      unmapped: plan.unmapped,
      routeCounters: plan.floors.size,
      countersRaised,
      highestFence: plan.found > 0 && plan.highest > 0n ? showFence(plan.highest) : null,
    };
  } catch (error) {
    throw toRedisLockError(error, "2.x migration");
  }
}
