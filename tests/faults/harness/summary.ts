/**
 * One summary line per scenario, for the CI log:
 * `[faults] <scenario> backend=<name> faults=<n> ops=<n> overlaps=<n> fenceRegressions=<n> k=v ...`
 * Tests append it to a JSON-lines file; harness/summary-reporter.js prints them after the run.
 */
import { appendFileSync } from "node:fs";

export type SummaryValue = string | number | boolean;

export interface ScenarioSummary {
  scenario: string;
  backend: string;
  faults: number;
  ops: number;
  overlaps: number;
  fenceRegressions: number;
  extra?: Record<string, SummaryValue>;
}

const token = (value: SummaryValue) => String(value).replace(/\s+/g, "_");

export function summaryLine(summary: ScenarioSummary): string {
  const fixed = `[faults] ${summary.scenario} backend=${summary.backend} faults=${summary.faults} ops=${summary.ops} overlaps=${summary.overlaps} fenceRegressions=${summary.fenceRegressions}`;
  const extra = Object.entries(summary.extra ?? {}).map(([k, v]) => `${k}=${token(v)}`);
  return [fixed, ...extra].join(" ");
}

/** Records the line for the reporter (and returns it, for assertion messages). */
export function recordSummary(summary: ScenarioSummary): string {
  const line = summaryLine(summary);
  const file = process.env.SYNCGUARD_FAULTS_SUMMARY_FILE;
  if (file) appendFileSync(file, `${JSON.stringify({ line, ...summary })}\n`);
  else process.stdout.write(`${line}\n`); // run without the reporter (e.g. a single file)
  return line;
}
