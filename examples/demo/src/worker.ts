import type { LockFunction } from "@syncguard/core";
import type { LedgerApi } from "./ledger";

/** One line of the demo's live output. */
export interface WorkReport {
  worker: string;
  payment: string;
  outcome: "charged" | "already-paid" | "gave-up";
  fence?: string;
  waitedMs?: number;
  attempts?: number;
}

/**
 * Every worker walks the same queue of pending payments (as workers fed by one job list or
 * webhook retries do), so they meet on each one. Pairs are swapped at random per worker to vary
 * who gets where first.
 */
export function workOrder(ids: string[]): string[] {
  const order = [...ids];
  for (let i = 0; i + 1 < order.length; i += 2) {
    if (Math.random() < 0.5)
      [order[i], order[i + 1]] = [order[i + 1] as string, order[i] as string];
  }
  return order;
}

/** The seed's processPayment, without a lock: read, check, charge, mark — racy. */
async function processPaymentUnsafely(
  api: LedgerApi,
  worker: string,
  id: string,
): Promise<WorkReport> {
  const payment = await api.getPayment(id);
  if (payment.status !== "pending") return { worker, payment: id, outcome: "already-paid" };
  await api.chargeCard(id, worker);
  await api.updateStatus(id, worker);
  return { worker, payment: id, outcome: "charged" };
}

/** The same steps under `lock()`, passing the fence to every write. */
async function processPaymentLocked(
  api: LedgerApi,
  lock: LockFunction,
  worker: string,
  id: string,
): Promise<WorkReport> {
  let attempts = 0;
  let waitedMs = 0;
  try {
    return await lock(
      async ({ fence }) => {
        const payment = await api.getPayment(id);
        if (payment.status !== "pending") {
          return {
            worker,
            payment: id,
            outcome: "already-paid",
            fence,
            attempts,
            waitedMs,
          } as const;
        }
        await api.chargeCard(id, worker, fence);
        await api.updateStatus(id, worker, fence);
        return { worker, payment: id, outcome: "charged", fence, attempts, waitedMs } as const;
      },
      {
        key: `payment:${id}`,
        ttlMs: 10_000,
        timeoutMs: 30_000,
        onEvent: (event) => {
          if (event.type === "acquired") {
            attempts = event.attempts;
            waitedMs = event.waitedMs;
          }
        },
      },
    );
  } catch {
    return { worker, payment: id, outcome: "gave-up" };
  }
}

export async function runWorker(
  api: LedgerApi,
  lock: LockFunction | undefined,
  worker: string,
  ids: string[],
  report: (r: WorkReport) => void,
): Promise<void> {
  for (const id of ids) {
    report(
      lock
        ? await processPaymentLocked(api, lock, worker, id)
        : await processPaymentUnsafely(api, worker, id),
    );
  }
}
