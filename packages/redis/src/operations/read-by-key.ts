import type { DriverKeyInput, StoredLock } from "@syncguard/core/driver";
import { readKey } from "../command";
import type { DriverContext } from "../context";
import { layoutForKey } from "../keys";
import { storedLockOf } from "../record";

/** The key's live lock: one GET of its record (see storedLockOf). */
export async function readByKey(
  ctx: DriverContext,
  { key, signal }: DriverKeyInput,
): Promise<StoredLock | undefined> {
  const record = layoutForKey(ctx.config.keyPrefix, key).record;
  return storedLockOf(await readKey(ctx, "lookup", record, signal));
}
