import type { DriverKeyInput } from "@syncguard/core/driver";
import { readKey } from "../command";
import type { DriverContext } from "../context";
import { layoutForKey } from "../keys";
import { storedLockOf } from "../record";

/** The same GET as readByKey, under its own name so error messages say what the caller called. */
export async function isLocked(
  ctx: DriverContext,
  { key, signal }: DriverKeyInput,
): Promise<boolean> {
  const record = layoutForKey(ctx.config.keyPrefix, key).record;
  return storedLockOf(await readKey(ctx, "isLocked", record, signal))?.key === key;
}
