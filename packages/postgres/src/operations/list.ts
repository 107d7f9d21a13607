import { LockError } from "@syncguard/core";
import {
  type DriverListInput,
  type DriverListPage,
  type ListedLock,
  TIME_TOLERANCE_MS,
} from "@syncguard/core/driver";
import type { PostgresConfig } from "../config";
import type { DriverContext } from "../context";
import { runStatement } from "../statement";
import { NOW_MS, toFence, toMs } from "../storage";
import { RESERVED } from "../wait-queue";

/**
 * One page of live locks (ADR-026) in row-name order, after the cursor's row name: the primary
 * key's index serves the order and the start. The prefix is compared on the stored key bytes (a
 * hashed row name keeps only the readable part of a long key). One row more than the page says
 * whether anything follows. Reservations are not locks. Never returns lock_id.
 */
export function listSql({ locksTable }: PostgresConfig): string {
  return `SELECT l.name, l.key, l.acquired_at_ms, l.expires_at_ms, l.fence FROM ${locksTable} l
WHERE ($1::text IS NULL OR l.name > $1::text)
  AND substring(l.key FROM 1 FOR octet_length($2::bytea)) = $2::bytea
  AND l.expires_at_ms + ${TIME_TOLERANCE_MS} > (SELECT ${NOW_MS})
  AND left(l.lock_id, 1) <> '${RESERVED}'
ORDER BY l.name
LIMIT $3::int + 1`;
}

export async function list(
  ctx: DriverContext,
  sql: string,
  { prefix, limit, cursor, signal }: DriverListInput,
): Promise<DriverListPage> {
  const after = cursor === undefined ? null : decodeCursor(cursor);
  const result = await runStatement(ctx, {
    operation: "list",
    text: sql,
    values: [after, Buffer.from(prefix, "utf8"), limit],
    write: false,
    signal,
  });
  const rows = result.rows;
  const page = rows.slice(0, limit);
  const locks = page.map(toListedLock);
  const last = page.at(-1);
  return rows.length > limit && last
    ? { locks, cursor: encodeCursor(String(last.name)) }
    : { locks };
}

function toListedLock(row: Record<string, unknown>): ListedLock {
  const { key } = row;
  if (!Buffer.isBuffer(key))
    throw new LockError("Internal", "PostgreSQL list: a lock row has no key bytes");
  return {
    key: key.toString("utf8"),
    acquiredAtMs: toMs(row.acquired_at_ms, "acquired_at_ms"),
    expiresAtMs: toMs(row.expires_at_ms, "expires_at_ms"),
    fence: toFence(row.fence),
  };
}

const encodeCursor = (name: string): string => Buffer.from(name, "utf8").toString("base64url");

function decodeCursor(cursor: string): string {
  const name = Buffer.from(cursor, "base64url").toString("utf8");
  if (name === "" || Buffer.from(name, "utf8").toString("base64url") !== cursor) {
    throw new LockError(
      "InvalidArgument",
      "listLocks: this cursor did not come from a PostgreSQL listing",
    );
  }
  return name;
}
