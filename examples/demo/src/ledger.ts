import { assertFenceNewer } from "@syncguard/core";
import { isStaleFenceError } from "@syncguard/core/driver";

/** What the payment service knows about one payment. */
interface Payment {
  id: string;
  amount: number;
  status: "pending" | "completed";
  charges: { worker: string; fence?: string }[];
  /** Highest fence that wrote to this payment: older fences are rejected (the fencing check). */
  highestFence?: string;
}

/** Simulated network latency of the payment processor. */
const latency = () => new Promise((r) => setTimeout(r, 5 + Math.random() * 15));

/**
 * The shared payment service all workers call. It lives in the demo's parent process; worker
 * processes reach it over IPC, so the races between them are real.
 */
export class Ledger {
  private readonly payments = new Map<string, Payment>();
  readonly rejectedWrites: { id: string; worker: string; fence: string; highest: string }[] = [];

  reset(count: number): void {
    this.payments.clear();
    for (let i = 1; i <= count; i++) {
      const id = `pay_${String(i).padStart(3, "0")}`;
      this.payments.set(id, { id, amount: 1000 + i * 7, status: "pending", charges: [] });
    }
  }

  ids(): string[] {
    return [...this.payments.keys()];
  }

  async getPayment(id: string): Promise<{ status: Payment["status"]; amount: number }> {
    await latency();
    const p = this.get(id);
    return { status: p.status, amount: p.amount };
  }

  /** Charges the card. With a fence, a write older than one already seen is refused. */
  async chargeCard(id: string, worker: string, fence?: string): Promise<"charged" | "rejected"> {
    await latency();
    const p = this.get(id);
    if (!this.admit(p, worker, fence)) return "rejected";
    p.charges.push({ worker, ...(fence ? { fence } : {}) });
    return "charged";
  }

  async updateStatus(id: string, worker: string, fence?: string): Promise<"updated" | "rejected"> {
    await latency();
    const p = this.get(id);
    if (!this.admit(p, worker, fence)) return "rejected";
    p.status = "completed";
    return "updated";
  }

  summary(): {
    payments: number;
    charges: number;
    doubleCharged: number;
    overchargedCents: number;
  } {
    let charges = 0;
    let doubleCharged = 0;
    let overchargedCents = 0;
    for (const p of this.payments.values()) {
      charges += p.charges.length;
      if (p.charges.length > 1) {
        doubleCharged++;
        overchargedCents += (p.charges.length - 1) * p.amount;
      }
    }
    return { payments: this.payments.size, charges, doubleCharged, overchargedCents };
  }

  chargesOf(id: string): Payment["charges"] {
    return this.get(id).charges;
  }

  /** The fence guard, run with the write (this ledger is one process, so that is atomic). */
  private admit(p: Payment, worker: string, fence?: string): boolean {
    if (fence === undefined) return true;
    try {
      assertFenceNewer(fence, p.highestFence, p.id);
    } catch (error) {
      if (!isStaleFenceError(error)) throw error;
      this.rejectedWrites.push({ id: p.id, worker, fence, highest: error.lastFence });
      return false;
    }
    p.highestFence = fence;
    return true;
  }

  private get(id: string): Payment {
    const p = this.payments.get(id);
    if (!p) throw new Error(`unknown payment ${id}`);
    return p;
  }
}

/** The calls a worker makes to the payment service. */
export type LedgerApi = Pick<Ledger, "getPayment" | "chargeCard" | "updateStatus">;
