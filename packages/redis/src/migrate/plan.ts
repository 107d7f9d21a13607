import { LockError } from "@syncguard/core";
import { normalizeKey } from "@syncguard/core/driver";
import { layoutForKey, layoutForTag } from "../keys";
import type { MigrationCommands } from "./commands";
import { oldFenceLayout } from "./layout-2x";

/** A name under the 2.x fence pattern that held no counter, and what it held instead. */
export interface SkippedKey {
  /** The Redis key name. */
  readonly key: string;
  /**
   * Its type as Redis names it: "hash", "list", "set"..., "string" for a string that is not a
   * counter, "none" when it was gone by the time it was read (an expiring 2.x lock record).
   */
  readonly type: string;
}

/** How many skipped names a report lists (`skipped` counts them all). */
export const MAX_SKIPPED_LISTED = 100;

/** What the 2.x counters ask of the new ones. */
export interface CounterPlan {
  /** Names that matched a 2.x fence counter pattern. */
  scanned: number;
  /** Of those, the ones holding a counter. */
  found: number;
  /** Matching names that held something else (e.g. a 2.x lock record of a key "fence:…"). */
  skipped: number;
  /** The first MAX_SKIPPED_LISTED of them. */
  skippedKeys: SkippedKey[];
  /** Counters whose key cannot be recovered from their name. */
  unmapped: number;
  /** The highest 2.x counter (the last fence it issued), 0n when none. */
  highest: bigint;
  /** New route fence counter name -> the value it must hold at least. */
  floors: Map<string, bigint>;
}

const INTEGER = /^\d+$/;

/** A name's string value, or the type it holds instead (GET refuses other types: WRONGTYPE). */
async function readName(
  commands: MigrationCommands,
  name: string,
): Promise<{ value: string | null; type?: string }> {
  try {
    return { value: await commands.get(name) };
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith("WRONGTYPE"))) throw error;
    return { value: null, type: await commands.type(name) };
  }
}

/** A 2.x counter's value, or undefined when the key holds something else. */
function counterValue(name: string, value: string | null): bigint | undefined {
  if (value === null || !INTEGER.test(value)) return undefined;
  const counter = BigInt(value);
  // Lua compares numbers as doubles: beyond 2^53 the raise could not be exact.
  if (counter > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new LockError(
      "Internal",
      `2.x fence counter ${JSON.stringify(name)} holds ${value}, beyond what can be carried over exactly`,
    );
  }
  return counter;
}

/** Every route's fence counter name under a prefix. */
export function allRouteFences(prefix: string): string[] {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const names: string[] = [];
  for (const first of alphabet) {
    for (const second of alphabet) names.push(layoutForTag(prefix, first + second).fence);
  }
  return names;
}

/** The new route counter a 2.x key's fences now come from, or undefined if the key is unusable. */
function routeFenceOf(keyPrefix: string, key: string): string | undefined {
  try {
    return layoutForKey(keyPrefix, normalizeKey(key)).fence;
  } catch {
    return undefined;
  }
}

/**
 * Reads every 2.x fence counter under `oldPrefix` and works out, for each new route counter under
 * `keyPrefix`, the highest 2.x counter of the keys on that route. A counter whose key cannot be
 * recovered raises every route: whichever route its key is on is then covered.
 */
export async function planCounters(
  commands: MigrationCommands,
  oldPrefix: string,
  keyPrefix: string,
): Promise<CounterPlan> {
  const layout = oldFenceLayout(oldPrefix);
  const plan: CounterPlan = {
    scanned: 0,
    found: 0,
    skipped: 0,
    skippedKeys: [],
    unmapped: 0,
    highest: 0n,
    floors: new Map(),
  };
  let unmappedFloor = 0n;
  const raiseTo = (fence: string, floor: bigint) => {
    if (floor > (plan.floors.get(fence) ?? 0n)) plan.floors.set(fence, floor);
  };
  const visit = async (
    pattern: string,
    accept: (name: string) => boolean,
    routeOf: (name: string) => string | undefined,
  ) => {
    for await (const batch of commands.scanKeys(pattern)) {
      const names = batch.filter(accept);
      const reads = await Promise.all(names.map((name) => readName(commands, name)));
      names.forEach((name, i) => {
        plan.scanned++;
        const read = reads[i] ?? { value: null };
        const counter = counterValue(name, read.value);
        if (counter === undefined) {
          plan.skipped++;
          if (plan.skippedKeys.length < MAX_SKIPPED_LISTED) {
            const type = read.type ?? (read.value === null ? "none" : "string");
            plan.skippedKeys.push({ key: name, type });
          }
          return;
        }
        plan.found++;
        if (counter > plan.highest) plan.highest = counter;
        const fence = routeOf(name);
        if (fence !== undefined) raiseTo(fence, counter);
        else {
          plan.unmapped++;
          if (counter > unmappedFloor) unmappedFloor = counter;
        }
      });
    }
  };
  await visit(
    layout.pattern,
    () => true,
    (name) => {
      const key = layout.keyOf(name);
      return key === undefined ? undefined : routeFenceOf(keyPrefix, key);
    },
  );
  const { hashedPattern } = layout;
  if (hashedPattern !== undefined) {
    // A hashed name does not say its key: such counters are unmapped.
    await visit(hashedPattern, layout.isHashed, () => undefined);
  }
  if (unmappedFloor > 0n) {
    for (const fence of allRouteFences(keyPrefix)) raiseTo(fence, unmappedFloor);
  }
  return plan;
}
