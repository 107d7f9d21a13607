import { type DriverFenceReading, type DriverKeyInput, formatFence } from "@syncguard/core/driver";
import { readKey } from "../command";
import type { DriverContext } from "../context";
import { layoutForKey } from "../keys";
import { malformed, replyString } from "../reply";

/**
 * The key's route counter (one GET; never written here). Counters are shared by the keys of a
 * route (ADR-019), so the value is at least the key's own last fence.
 */
export async function readFence(
  ctx: DriverContext,
  { key, signal }: DriverKeyInput,
): Promise<DriverFenceReading> {
  const reply = await readKey(
    ctx,
    "readFence",
    layoutForKey(ctx.config.keyPrefix, key).fence,
    signal,
  );
  if (reply === null || reply === undefined) return { shared: true };
  const text = replyString(reply, "fence counter");
  if (!/^\d{1,16}$/.test(text)) throw malformed("fence counter", text);
  return { fence: formatFence(BigInt(text)), shared: true };
}
