/**
 * What every scenario ends with: its summary line recorded, then the two invariants checked —
 * no overlapping critical sections, no fence regressions — with the offending intervals named.
 */
import { describeViolations, type LedgerReport } from "./ledger";
import { recordSummary, type SummaryValue } from "./summary";

export interface ScenarioResult {
  scenario: string;
  backend: string;
  faults: number;
  ops: number;
  extra?: Record<string, SummaryValue>;
}

/** Records the summary from the ledger report and fails on any overlap or fence regression. */
export function concludeScenario(result: ScenarioResult, report: LedgerReport): void {
  const line = recordSummary({
    ...result,
    overlaps: report.overlaps.length,
    fenceRegressions: report.fenceRegressions.length,
  });
  if (report.overlaps.length > 0 || report.fenceRegressions.length > 0) {
    throw new Error(`${line}\n${describeViolations(report)}`);
  }
}

/** Milliseconds between two monotonic ns timestamps. */
export function nsToMs(later: bigint, earlier: bigint): number {
  return Math.round(Number(later - earlier) / 1e5) / 10;
}
