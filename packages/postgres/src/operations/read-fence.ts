import type { DriverFenceReading, DriverKeyInput } from "@syncguard/core";
import type { PostgresConfig } from "../config";
import type { DriverContext } from "../context";
import { runStatement } from "../statement";
import { rowName, toFence } from "../storage";

/** The key's own counter (one per key, never shared). */
export function readFenceSql({ fencesTable }: PostgresConfig): string {
  return `SELECT f.fence FROM ${fencesTable} f WHERE f.name = $1`;
}

export async function readFence(
  ctx: DriverContext,
  sql: string,
  { key, signal }: DriverKeyInput,
): Promise<DriverFenceReading> {
  const result = await runStatement(ctx, {
    operation: "readFence",
    text: sql,
    values: [rowName(key)],
    write: false,
    signal,
  });
  const row = result.rows[0];
  return row ? { fence: toFence(row.fence), shared: false } : { shared: false };
}
