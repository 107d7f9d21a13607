import type { DocumentData, Query } from "@google-cloud/firestore";
import { LockError } from "@syncguard/core";
import {
  type DriverListInput,
  type DriverPermitListPage,
  isFence,
  type StoredPermit,
} from "@syncguard/core/driver";
import type { DriverContext } from "../context";
import { OperationScope } from "../operation-scope";
import { runRead } from "../reads";
import {
  readSemaphoreDocument,
  SEMAPHORE_ID_SUFFIX,
  type SemaphoreDocument,
} from "../semaphore-document";
import { escapedPrefix } from "./list";
import { storedPermits } from "./read-permit";

/** Queries one page may run before it returns what it has (with a cursor). */
const MAX_QUERIES_PER_PAGE = 16;
/** Documents one query reads: fence counters sit between the semaphores and are skipped. */
const BATCH = 100;

/**
 * One page of live permits (ADR-041). Semaphores are documents of the fence collection whose id
 * ends in `~semaphore`, beside the lock fence counters; the collection is read in id order from
 * the prefix's id (as the lock listing reads locks) and the counters are skipped. The cursor
 * names the last permit shown, by document id and fence, so a page may end inside a semaphore.
 */
export async function listPermit(
  ctx: DriverContext,
  { prefix, limit, cursor, signal }: DriverListInput,
): Promise<DriverPermitListPage> {
  const op = new OperationScope("listPermit", ctx, signal);
  const idPrefix = escapedPrefix(prefix);
  // Where to go on: after document `id`, or inside it after permit `fence`.
  let resume = cursor === undefined ? undefined : decodeCursor(cursor);
  const permits: StoredPermit[] = [];
  let lastShown: Position | undefined;
  for (let queries = 0; queries < MAX_QUERIES_PER_PAGE; queries += 1) {
    let query: Query = ctx.fences.orderBy("__name__");
    if (resume !== undefined) {
      query = resume.fence === undefined ? query.startAfter(resume.id) : query.startAt(resume.id);
    } else if (idPrefix !== "") query = query.startAt(idPrefix);
    const snapshot = await runRead(op, () => query.limit(BATCH).get());
    const now = ctx.config.clock();
    for (const doc of snapshot.docs) {
      if (!doc.id.startsWith(idPrefix)) return { permits };
      const shownUpTo = doc.id === resume?.id ? resume.fence : undefined;
      resume = { id: doc.id };
      if (!doc.id.endsWith(SEMAPHORE_ID_SUFFIX)) continue;
      for (const permit of livePermitsOf(doc.id, doc.data(), prefix, now)) {
        if (shownUpTo !== undefined && permit.fence <= shownUpTo) continue;
        // One permit more than the page holds: it says that something follows.
        if (permits.length === limit) return { permits, cursor: encodeCursor(lastShown!) };
        permits.push(permit);
        lastShown = { id: doc.id, fence: permit.fence };
      }
    }
    if (snapshot.docs.length < BATCH) return { permits };
  }
  // Bounded work per call: a page may be short and still have a cursor.
  return resume === undefined ? { permits } : { permits, cursor: encodeCursor(resume) };
}

interface Position {
  readonly id: string;
  readonly fence?: string;
}

/** The live permits of a semaphore document under the prefix; a malformed document shows none. */
function livePermitsOf(id: string, data: DocumentData, prefix: string, now: number) {
  let semaphore: SemaphoreDocument | undefined;
  try {
    semaphore = readSemaphoreDocument(data, id);
  } catch {
    return [];
  }
  return semaphore?.key.startsWith(prefix) ? storedPermits(semaphore, now) : [];
}

const encodeCursor = ({ id, fence }: Position): string =>
  Buffer.from(JSON.stringify(fence === undefined ? [id] : [id, fence]), "utf8").toString(
    "base64url",
  );

function decodeCursor(cursor: string): Position {
  try {
    const fields: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (
      Array.isArray(fields) &&
      (fields.length === 1 || (fields.length === 2 && isFence(fields[1]))) &&
      typeof fields[0] === "string" &&
      fields[0] !== "" &&
      !fields[0].includes("/")
    ) {
      return fields.length === 1 ? { id: fields[0] } : { id: fields[0], fence: fields[1] };
    }
  } catch {
    // reported below
  }
  throw new LockError(
    "InvalidArgument",
    "list cursor is not one the Firestore backend's permit listing returned",
  );
}
