// Small helpers shared by the scenarios: time, statistics, markdown tables.
import { performance } from "node:perf_hooks";

export const now = () => performance.now();
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile of an unsorted array (copied and sorted). */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function percentiles(values, ps = [50, 99]) {
  if (values.length === 0) return Object.fromEntries(ps.map((p) => [`p${p}`, Number.NaN]));
  const sorted = Float64Array.from(values).sort();
  const out = {};
  for (const p of ps) {
    const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    out[`p${p}`] = sorted[rank];
  }
  return out;
}

export function sum(values) {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

/** Number formatting for tables: NaN/undefined become an em dash. */
export function fmt(value, digits = 2) {
  if (value === undefined || value === null || Number.isNaN(value)) return "—";
  if (typeof value === "string") return value;
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "-∞";
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString("en-US");
  return value.toFixed(digits);
}

export const fmtInt = (value) =>
  value === undefined || Number.isNaN(value) ? "—" : Math.round(value).toLocaleString("en-US");

export const fmtRatio = (value) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : "—");

/** A markdown table from a header row and rows of cells. */
export function table(header, rows) {
  const lines = [
    `| ${header.join(" | ")} |`,
    `|${header.map((_, i) => (i === 0 ? "---" : "--:")).join("|")}|`,
  ];
  for (const row of rows) lines.push(`| ${row.map((c) => String(c)).join(" | ")} |`);
  return lines.join("\n");
}

/** Rotates `items` by `round`, so no contender always runs first (warm caches, GC debt). */
export function rotate(items, round) {
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** Binary search: index of the first element of sorted `arr` strictly greater than `x`. */
export function upperBound(arr, x) {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function errorMessage(error) {
  if (!error) return "";
  const code = error.code ? `${error.code}: ` : "";
  // numbers (keys, delays, counts) are masked so messages of one kind group together
  const message = String(error.message ?? error)
    .replace(/\d+(\.\d+)?/g, "N")
    .slice(0, 160);
  return `${error.constructor?.name ?? "Error"} ${code}${message}`;
}

/** "3× msg; 1× other" for the most frequent error kinds. */
export function errorSummary(errors, limit = 3) {
  const entries = Object.entries(errors).sort((a, b) => b[1] - a[1]);
  const shown = entries.slice(0, limit).map(([m, n]) => `${n}× ${m}`);
  if (entries.length > limit) shown.push(`… ${entries.length - limit} more kinds`);
  return shown.join("; ");
}
