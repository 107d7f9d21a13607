import type { Query } from "@google-cloud/firestore";
import { LockError } from "@syncguard/core";
import {
  type DriverListInput,
  type DriverListPage,
  isFence,
  isLive,
  type ListedLock,
  READABLE_KEY_BYTES,
  utf8Bytes,
} from "@syncguard/core/driver";
import type { DriverContext } from "../context";
import { OperationScope } from "../operation-scope";
import { runRead } from "../reads";

/** The fields a listing reads: never `lockId` (nor `purgeAt`). */
const LISTED_FIELDS = ["key", "acquiredAtMs", "expiresAtMs", "fence"] as const;
/** Queries one page may run before it returns what it has (with a cursor). */
const MAX_QUERIES_PER_PAGE = 16;

/**
 * One page of live locks (ADR-026): lock documents in document-id order, from `startAfter` the
 * cursor (the last id shown), reading only the listed fields. Every key starting with `prefix`
 * has a document id starting with the prefix as ids escape it (`/` as `%2F`; a hashed id keeps
 * 512 readable bytes), so the query starts at that id and stops at the first id past it; the
 * key itself is checked too, since a few other keys share an id prefix (`a/` and `a%2F`).
 * Liveness is judged by the backend's clock, as every read does; expired documents not yet
 * cleaned up are read and skipped.
 */
export async function list(
  ctx: DriverContext,
  { prefix, limit, cursor, signal }: DriverListInput,
): Promise<DriverListPage> {
  const op = new OperationScope("list", ctx, signal);
  const idPrefix = escapedPrefix(prefix);
  let after = cursor === undefined ? undefined : decodeCursor(cursor);
  const locks: ListedLock[] = [];
  for (let queries = 0; queries < MAX_QUERIES_PER_PAGE; queries += 1) {
    // One document more than the page needs: it says whether anything follows.
    const want = limit - locks.length + 1;
    let query: Query = ctx.locks.select(...LISTED_FIELDS).orderBy("__name__");
    if (after !== undefined) query = query.startAfter(after);
    else if (idPrefix !== "") query = query.startAt(idPrefix);
    const snapshot = await runRead(op, () => query.limit(want).get());
    const now = ctx.config.clock();
    for (const doc of snapshot.docs) {
      if (!doc.id.startsWith(idPrefix)) return { locks };
      if (locks.length === limit) return { locks, cursor: encodeCursor(after!) };
      after = doc.id;
      const lock = listedLock(doc.data());
      if (lock?.key.startsWith(prefix) && isLive(lock.expiresAtMs, now)) locks.push(lock);
    }
    if (snapshot.docs.length < want) return { locks };
  }
  return after === undefined ? { locks } : { locks, cursor: encodeCursor(after) };
}

/**
 * The id prefix every key starting with `prefix` has ("" when the prefix is too long for a
 * hashed id to keep it: then every id is read and only keys are compared).
 */
export function escapedPrefix(prefix: string): string {
  const escaped = prefix.replaceAll("/", "%2F");
  return utf8Bytes(escaped) <= READABLE_KEY_BYTES ? escaped : "";
}

function listedLock(data: Record<string, unknown>): ListedLock | undefined {
  const { key, acquiredAtMs, expiresAtMs, fence } = data;
  if (
    typeof key !== "string" ||
    typeof acquiredAtMs !== "number" ||
    typeof expiresAtMs !== "number" ||
    !isFence(fence)
  ) {
    return undefined;
  }
  return { key, acquiredAtMs, expiresAtMs, fence };
}

const encodeCursor = (id: string): string => Buffer.from(id, "utf8").toString("base64url");

function decodeCursor(cursor: string): string {
  const id = /^[A-Za-z0-9_-]+$/.test(cursor)
    ? Buffer.from(cursor, "base64url").toString("utf8")
    : "";
  if (id === "" || id.includes("/")) {
    throw new LockError("InvalidArgument", "list cursor is not one the Firestore backend returned");
  }
  return id;
}
