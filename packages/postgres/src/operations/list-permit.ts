import { LockError } from "@syncguard/core";
import type { DriverListInput, DriverPermitListPage } from "@syncguard/core/driver";
import type { PostgresConfig } from "../config";
import type { DriverContext } from "../context";
import { runStatement } from "../statement";
import { LIVE_PERMIT, PERMIT_COLUMNS, toStoredPermit } from "./read-permit";

/**
 * One page of live permits (ADR-041) in (row name, fence) order, after the cursor's pair: fences
 * are unique within a semaphore, so the pair names one permit (the cursor never holds a lockId).
 * The prefix is compared on the stored key bytes; one row more than the page says whether
 * anything follows.
 */
export function listPermitSql({ permitsTable }: PostgresConfig): string {
  return `SELECT p.name, ${PERMIT_COLUMNS} FROM ${permitsTable} p
WHERE ($1::text IS NULL OR (p.name, p.fence) > ($1::text, $2::bigint))
  AND substring(p.key FROM 1 FOR octet_length($3::bytea)) = $3::bytea
  AND ${LIVE_PERMIT}
ORDER BY p.name, p.fence
LIMIT $4::int + 1`;
}

export async function listPermit(
  ctx: DriverContext,
  sql: string,
  { prefix, limit, cursor, signal }: DriverListInput,
): Promise<DriverPermitListPage> {
  const after = cursor === undefined ? undefined : decodeCursor(cursor);
  const result = await runStatement(ctx, {
    operation: "listPermit",
    text: sql,
    values: [after?.name ?? null, after?.fence ?? null, Buffer.from(prefix, "utf8"), limit],
    write: false,
    signal,
  });
  const rows = result.rows.slice(0, limit);
  const permits = rows.map(toStoredPermit);
  const last = rows.at(-1);
  return result.rows.length > limit && last
    ? { permits, cursor: encodeCursor(String(last.name), String(last.fence)) }
    : { permits };
}

const encodeCursor = (name: string, fence: string): string =>
  Buffer.from(JSON.stringify([name, fence]), "utf8").toString("base64url");

function decodeCursor(cursor: string): { name: string; fence: string } {
  try {
    const fields: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (
      Array.isArray(fields) &&
      fields.length === 2 &&
      typeof fields[0] === "string" &&
      fields[0] !== "" &&
      typeof fields[1] === "string" &&
      /^\d{1,18}$/.test(fields[1])
    ) {
      return { name: fields[0], fence: fields[1] };
    }
  } catch {
    // reported below
  }
  throw new LockError(
    "InvalidArgument",
    "listLocks: this cursor did not come from a PostgreSQL permit listing",
  );
}
