/**
 * A store that guards writes with fences, as the README tells users to: each critical section
 * writes once, when it ends, and the write is accepted only if its fence is greater than every
 * fence the store has seen for that key. Replayed from the ledger in exit-time order.
 */
import type { LedgerReport } from "./ledger";

export interface FencedWrites {
  accepted: number;
  rejected: number;
  /** Sections whose write was rejected: they ran on a lease someone newer already had. */
  rejectedIds: string[];
}

export function replayFencedWrites(report: LedgerReport): FencedWrites {
  const highest = new Map<string, string>();
  const result: FencedWrites = { accepted: 0, rejected: 0, rejectedIds: [] };
  const ended = report.intervals.filter((i) => i.exit !== undefined && i.fence !== null);
  ended.sort((a, b) => (a.exit! < b.exit! ? -1 : a.exit! > b.exit! ? 1 : 0));
  for (const interval of ended) {
    const seen = highest.get(interval.key);
    if (seen === undefined || interval.fence! > seen) {
      highest.set(interval.key, interval.fence!);
      result.accepted += 1;
    } else {
      result.rejected += 1;
      result.rejectedIds.push(interval.id);
    }
  }
  return result;
}
