import type { DriverFenceReading, DriverKeyInput } from "@syncguard/core/driver";
import { formatFence } from "@syncguard/core/driver";
import type { DriverContext } from "../context";
import { documentId, readFenceCounter } from "../documents";
import { OperationScope } from "../operation-scope";
import { runRead } from "../reads";

/** The key's own fence counter document (one read by id; never written here). */
export async function readFence(
  ctx: DriverContext,
  { key, signal }: DriverKeyInput,
): Promise<DriverFenceReading> {
  const op = new OperationScope("readFence", ctx, signal);
  const id = documentId(key);
  const snap = await runRead(op, () => ctx.fences.doc(id).get());
  const counter = readFenceCounter(snap.data(), id);
  return counter === 0n ? { shared: false } : { fence: formatFence(counter), shared: false };
}
