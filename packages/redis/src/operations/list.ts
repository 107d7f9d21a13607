import { LockError } from "@syncguard/core";
import {
  type DriverListInput,
  type DriverListPage,
  formatFence,
  type ListedLock,
} from "@syncguard/core/driver";
import type { ScanNode, ScanType } from "../clients/adapter";
import { readKey } from "../command";
import type { DriverContext } from "../context";
import { toRedisLockError } from "../errors";
import { isReservation, parseRecord } from "../record";
import { replyString } from "../reply";

/**
 * One page of live locks (ADR-026). Lock records are the only keys named `P:{rr}:lock:<12 chars>`,
 * so a SCAN with that MATCH (and TYPE string) returns records and nothing else: fence counters and
 * wait queues are never read. A record's name is a hash of its key, so the key (and the prefix
 * filter) comes from the record's value: one GET per record, and a record that vanished between
 * SCAN and GET simply expired. On a cluster every master is scanned in turn, by address.
 *
 * The cursor says where to go on: the node, the SCAN cursor of the batch in progress and the last
 * record name already shown from it. A page that fills up in the middle of a batch repeats that
 * SCAN call next time (same cursor, same COUNT) and skips the names up to the last one shown, so
 * a lock present all along is shown once, as SCAN guarantees for a whole iteration.
 */
export async function list(ctx: DriverContext, input: DriverListInput): Promise<DriverListPage> {
  const pattern = `${globEscape(ctx.config.keyPrefix)}:{??}:lock:????????????`;
  const page = await scanListing(ctx, input, { pattern, type: "string" }, async (names, signal) => {
    const values = await Promise.all(names.map((name) => readKey(ctx, "list", name, signal)));
    return values.map((value) => {
      const lock = listedLock(value, input.prefix);
      return lock ? [{ entry: lock, id: "" }] : [];
    });
  });
  return page.cursor === undefined
    ? { locks: page.entries }
    : { locks: page.entries, cursor: page.cursor };
}

/** What a listing reads of each name: its entries, each with an id that orders it in the name. */
export type ReadNames<E> = (
  names: readonly string[],
  signal: AbortSignal | undefined,
) => Promise<(readonly { readonly entry: E; readonly id: string }[])[]>;

/**
 * One page of a listing by SCAN: the names `match` finds, node by node, each read by `read` into
 * entries (a lock record has one, a semaphore one per permit). A page may end inside a name: the
 * cursor then names the last entry shown, and the next page reads that name again and goes on
 * after it.
 */
export async function scanListing<E>(
  ctx: DriverContext,
  { limit, cursor, signal }: DriverListInput,
  match: { readonly pattern: string; readonly type: ScanType },
  read: ReadNames<E>,
): Promise<{ entries: E[]; cursor?: string }> {
  const position = cursor === undefined ? undefined : decodeCursor(cursor);
  const count = position?.count ?? Math.min(1000, Math.max(100, limit * 4));
  let servers: readonly ScanNode[];
  try {
    servers = await ctx.scanNodes();
  } catch (error) {
    throw toRedisLockError(error, "list");
  }
  let index = position === undefined ? 0 : servers.findIndex((node) => node.id === position!.node);
  if (index < 0) {
    throw new LockError(
      "InvalidArgument",
      `list cursor names node ${position!.node}, which is no longer a master: start the listing over`,
    );
  }
  let scanCursor = position?.scan ?? "0";
  let after = position?.after;
  let afterId = position?.afterId;
  const entries: E[] = [];
  for (let calls = 0; calls < MAX_SCANS_PER_PAGE; calls += 1) {
    if (signal?.aborted) break;
    const server = servers[index]!;
    let batch: { cursor: string; keys: string[] };
    try {
      batch = await server.scan(scanCursor, match.pattern, count, match.type);
    } catch (error) {
      throw toRedisLockError(error, "list");
    }
    // Sorted so that "after the last name shown" means the same thing when the call is repeated.
    // The last name shown comes again when the page ended inside it (`afterId`).
    const names = [...new Set(batch.keys)]
      .sort()
      .filter(
        (name) => after === undefined || name > after || (name === after && afterId !== undefined),
      );
    for (let start = 0; start < names.length; ) {
      const chunk = names.slice(start, start + Math.max(16, limit - entries.length));
      start += chunk.length;
      const read_ = await read(chunk, signal);
      for (let i = 0; i < chunk.length; i += 1) {
        const name = chunk[i]!;
        // In id order, so that "after the last entry shown" means the same thing next page.
        const own = (read_[i] ?? [])
          .filter(({ id }) => name !== after || afterId === undefined || id > afterId)
          .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        for (let j = 0; j < own.length; j += 1) {
          entries.push(own[j]!.entry);
          if (entries.length < limit) continue;
          // The page is full: go on after this entry, in this name, in this batch, or next.
          const rest = names.slice(names.indexOf(name) + 1);
          if (j < own.length - 1) {
            return paged(entries, {
              node: server.id,
              scan: scanCursor,
              after: name,
              afterId: own[j]!.id,
              count,
            });
          }
          if (rest.length > 0)
            return paged(entries, { node: server.id, scan: scanCursor, after: name, count });
          return paged(entries, next(servers, index, batch.cursor, count));
        }
      }
    }
    const following = next(servers, index, batch.cursor, count);
    if (following === undefined) return paged(entries, undefined);
    index = servers.findIndex((node) => node.id === following.node);
    scanCursor = following.scan;
    after = undefined;
    afterId = undefined;
  }
  // Bounded work per call: a page may be short and still have a cursor.
  return paged(entries, {
    node: servers[index]!.id,
    scan: scanCursor,
    after,
    ...(afterId !== undefined ? { afterId } : {}),
    count,
  });
}

/** SCAN calls one page may make before it returns what it has (with a cursor). */
const MAX_SCANS_PER_PAGE = 64;

interface Position {
  readonly node: string;
  readonly scan: string;
  readonly after?: string | undefined;
  /** The last entry shown of `after`, when the page ended inside that name. */
  readonly afterId?: string | undefined;
  readonly count: number;
}

/** Where the iteration goes after a batch: the same node, the next one, or nowhere. */
function next(
  servers: readonly ScanNode[],
  index: number,
  scanCursor: string,
  count: number,
): Position | undefined {
  if (scanCursor !== "0") return { node: servers[index]!.id, scan: scanCursor, count };
  const following = servers[index + 1];
  return following ? { node: following.id, scan: "0", count } : undefined;
}

function paged<E>(entries: E[], position: Position | undefined): { entries: E[]; cursor?: string } {
  return position ? { entries, cursor: encodeCursor(position) } : { entries };
}

/** A GET reply as a listing shows it: live records of keys under the prefix, no lockId. */
function listedLock(reply: unknown, prefix: string): ListedLock | undefined {
  if (reply === null || reply === undefined) return undefined;
  const text = replyString(reply, "lock record");
  if (isReservation(text)) return undefined;
  const record = parseRecord(text);
  if (!record.key.startsWith(prefix)) return undefined;
  return {
    key: record.key,
    acquiredAtMs: record.acquiredAtMs,
    expiresAtMs: record.expiresAtMs,
    fence: formatFence(record.fence),
  };
}

/** The key prefix as a literal in a SCAN MATCH pattern. */
export const globEscape = (text: string): string => text.replace(/[*?[\]\\]/g, "\\$&");

function encodeCursor({ node, scan, after, afterId, count }: Position): string {
  const fields =
    after === undefined
      ? [node, scan, count]
      : afterId === undefined
        ? [node, scan, count, after]
        : [node, scan, count, after, afterId];
  return Buffer.from(JSON.stringify(fields), "utf8").toString("base64url");
}

function decodeCursor(cursor: string): Position {
  try {
    const fields: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(fields) && fields.length >= 3 && fields.length <= 5) {
      const [node, scan, count, after, afterId] = fields;
      if (
        typeof node === "string" &&
        typeof scan === "string" &&
        /^\d+$/.test(scan) &&
        Number.isInteger(count) &&
        count >= 1 &&
        count <= 1000 &&
        (after === undefined || typeof after === "string") &&
        (afterId === undefined || (typeof afterId === "string" && after !== undefined))
      ) {
        return { node, scan, count, after, ...(afterId !== undefined ? { afterId } : {}) };
      }
    }
  } catch {
    // reported below
  }
  throw new LockError("InvalidArgument", "list cursor is not one the Redis backend returned");
}
