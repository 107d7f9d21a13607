import { LockError } from "@syncguard/core";
import type { MigrationCommands } from "./commands";
import RAISE_LUA from "./raise.lua";

/** Counters raised at once: one script each, pipelined by the client. */
const CONCURRENCY = 64;

/** Would `current` (a counter's stored value) have to be raised to `floor`? */
function isBelow(name: string, current: string | null, floor: bigint): boolean {
  if (current === null) return true;
  if (!/^\d+$/.test(current)) {
    throw new LockError("Internal", `fence counter ${JSON.stringify(name)} is not an integer`);
  }
  return BigInt(current) < floor;
}

/**
 * Raises each counter to at least its floor (dry run: only counts the ones that are below it).
 * Returns how many were (or would be) raised.
 */
export async function raiseCounters(
  commands: MigrationCommands,
  floors: ReadonlyMap<string, bigint>,
  dryRun: boolean,
): Promise<number> {
  const entries = [...floors];
  let raised = 0;
  for (let start = 0; start < entries.length; start += CONCURRENCY) {
    const outcomes = await Promise.all(
      entries.slice(start, start + CONCURRENCY).map(async ([name, floor]) => {
        if (dryRun) return isBelow(name, await commands.get(name), floor);
        return Number(await commands.runScript(RAISE_LUA, [name], [floor.toString()])) === 1;
      }),
    );
    raised += outcomes.filter(Boolean).length;
  }
  return raised;
}
