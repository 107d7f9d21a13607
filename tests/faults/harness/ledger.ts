/**
 * The interval ledger: every critical section, in any process, appends `enter` / `exit` lines
 * (workers/section-log.js); the supervisor appends `death` for a worker that died. Analysis turns
 * them into intervals per key and counts overlaps and fence regressions.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSectionLog, type SectionLog } from "../workers/section-log";

type LedgerEvent =
  | { ev: "enter"; id: string; key: string; fence: string | null; pid: number; t: string }
  | { ev: "exit"; id: string; why: string; t: string }
  | { ev: "death"; pid: number; t: string };

export interface Interval {
  id: string;
  key: string;
  fence: string | null;
  pid: number;
  enter: bigint;
  /** undefined: never closed (the section is still open, or its process vanished unnoticed). */
  exit: bigint | undefined;
  why: string;
}

export interface LedgerReport {
  intervals: Interval[];
  /** Pairs of sections on one key whose intervals intersect. */
  overlaps: Array<{ key: string; earlier: Interval; later: Interval }>;
  /** Sections whose fence is not strictly greater than every fence entered before on that key. */
  fenceRegressions: Array<{ key: string; earlier: Interval; later: Interval }>;
  unclosed: Interval[];
}

export interface Ledger extends SectionLog {
  read(): LedgerReport;
  dispose(): void;
}

/** A fresh ledger file in its own temp dir. */
export function createLedger(label: string): Ledger {
  const dir = mkdtempSync(join(tmpdir(), `syncguard-faults-${label}-`));
  const file = join(dir, "ledger.jsonl");
  const log = openSectionLog(file);
  return {
    ...log,
    read: () => analyzeLedger(file),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The report of a scenario that runs no critical section (API-level checks only). */
export function noSections(): LedgerReport {
  return { intervals: [], overlaps: [], fenceRegressions: [], unclosed: [] };
}

export function analyzeLedger(file: string): LedgerReport {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    // no section ever entered
  }
  const events = text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LedgerEvent);
  const byId = new Map<string, Interval>();
  for (const event of events) {
    const t = BigInt(event.t);
    if (event.ev === "enter") {
      const { id, key, fence, pid } = event;
      byId.set(id, { id, key, fence, pid, enter: t, exit: undefined, why: "open" });
    } else if (event.ev === "exit") {
      const interval = byId.get(event.id);
      if (interval && interval.exit === undefined) {
        interval.exit = t;
        interval.why = event.why;
      }
    } else {
      for (const interval of byId.values()) {
        if (interval.pid === event.pid && interval.exit === undefined && interval.enter <= t) {
          interval.exit = t;
          interval.why = "killed";
        }
      }
    }
  }
  const intervals = [...byId.values()];
  const report: LedgerReport = { intervals, overlaps: [], fenceRegressions: [], unclosed: [] };
  const byKey = new Map<string, Interval[]>();
  for (const interval of intervals) {
    if (interval.exit === undefined) report.unclosed.push(interval);
    const list = byKey.get(interval.key) ?? [];
    list.push(interval);
    byKey.set(interval.key, list);
  }
  for (const [key, list] of byKey) {
    list.sort((a, b) => (a.enter < b.enter ? -1 : a.enter > b.enter ? 1 : 0));
    let longest: Interval | undefined; // the earlier interval reaching furthest
    let highest: Interval | undefined; // the earlier interval with the highest fence
    for (const interval of list) {
      if (longest && (longest.exit === undefined || interval.enter < longest.exit)) {
        report.overlaps.push({ key, earlier: longest, later: interval });
      }
      if (highest?.fence != null && (interval.fence === null || interval.fence <= highest.fence)) {
        report.fenceRegressions.push({ key, earlier: highest, later: interval });
      }
      const reachesFurther =
        interval.exit === undefined ||
        (longest?.exit !== undefined && interval.exit > longest.exit);
      if (!longest || (longest.exit !== undefined && reachesFurther)) longest = interval;
      if (interval.fence !== null && (!highest?.fence || interval.fence > highest.fence)) {
        highest = interval;
      }
    }
  }
  return report;
}

function describeInterval(interval: Interval, origin: bigint): string {
  const ms = (t: bigint | undefined) =>
    t === undefined ? "open" : `${(Number(t - origin) / 1e6).toFixed(1)}ms`;
  return `pid ${interval.pid} fence ${interval.fence} [${ms(interval.enter)} .. ${ms(interval.exit)}] (${interval.why})`;
}

/** Human-readable list of what went wrong, for assertion messages. */
export function describeViolations(report: LedgerReport, limit = 5): string {
  const origin = report.intervals.reduce<bigint | undefined>(
    (min, i) => (min === undefined || i.enter < min ? i.enter : min),
    undefined,
  );
  const base = origin ?? 0n;
  const lines: string[] = [];
  for (const o of report.overlaps.slice(0, limit)) {
    lines.push(
      `overlap on ${JSON.stringify(o.key)}: ${describeInterval(o.earlier, base)} and ${describeInterval(o.later, base)}`,
    );
  }
  for (const r of report.fenceRegressions.slice(0, limit)) {
    lines.push(
      `fence regression on ${JSON.stringify(r.key)}: ${describeInterval(r.earlier, base)} then ${describeInterval(r.later, base)}`,
    );
  }
  return lines.join("\n");
}
