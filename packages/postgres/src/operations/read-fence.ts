import { type DriverFenceReading, type DriverKeyInput, keyTag } from "@syncguard/core/driver";
import type { PostgresConfig } from "../config";
import type { DriverContext } from "../context";
import { runStatement } from "../statement";
import { routeOfTag, toFence } from "../storage";

/** The counter of the key's route, shared by the route's keys (ADR-035). */
export function readFenceSql({ fencesTable }: PostgresConfig): string {
  return `SELECT f.fence FROM ${fencesTable} f WHERE f.route = $1`;
}

export async function readFence(
  ctx: DriverContext,
  sql: string,
  { key, signal }: DriverKeyInput,
): Promise<DriverFenceReading> {
  const result = await runStatement(ctx, {
    operation: "readFence",
    text: sql,
    values: [routeOfTag(keyTag(key))],
    write: false,
    signal,
  });
  const row = result.rows[0];
  return row ? { fence: toFence(row.fence), shared: true } : { shared: true };
}
