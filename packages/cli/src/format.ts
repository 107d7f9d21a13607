/** Text output: aligned tables and short durations. JSON output is built in the commands. */

/** Rows as columns padded to their widest cell (the last column is not padded). */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, [...cell].length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) =>
          i === row.length - 1 ? cell : cell + " ".repeat(widths[i]! - [...cell].length),
        )
        .join("  "),
    )
    .join("\n");
}

/** A duration for people: "850 ms", "12.3 s", "4 min 5 s", "2 h 3 min", "3 d 4 h". */
export function duration(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/** Time left until `expiresAtMs` by this machine's clock (0 when already past). */
export const remainingMs = (expiresAtMs: number, now: number): number =>
  Math.max(0, expiresAtMs - now);

export const isoTime = (ms: number): string => new Date(ms).toISOString();

/** A key as one table cell: control characters escaped, so a key cannot break the layout. */
export function printableKey(key: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping them is the point
  return /[\u0000-\u001f\u007f]/.test(key) ? JSON.stringify(key) : key;
}
