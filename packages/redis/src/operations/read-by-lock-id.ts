import type { DriverLockIdInput, StoredLock } from "@syncguard/core/driver";
import { readKey } from "../command";
import type { DriverContext } from "../context";
import { layoutForLockId } from "../keys";
import { storedLockOf } from "../record";

/** The lock a lockId holds: one GET of the record its tag names (core checks the lockId). */
export async function readByLockId(
  ctx: DriverContext,
  { lockId, signal }: DriverLockIdInput,
): Promise<StoredLock | undefined> {
  const record = layoutForLockId(ctx.config.keyPrefix, lockId).record;
  return storedLockOf(await readKey(ctx, "lookup", record, signal));
}
