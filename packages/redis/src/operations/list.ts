import { LockError } from "@syncguard/core";
import {
  type DriverListInput,
  type DriverListPage,
  formatFence,
  type ListedLock,
} from "@syncguard/core/driver";
import type { ScanNode } from "../clients/adapter";
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
export async function list(
  ctx: DriverContext,
  { prefix, limit, cursor, signal }: DriverListInput,
): Promise<DriverListPage> {
  const match = `${globEscape(ctx.config.keyPrefix)}:{??}:lock:????????????`;
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
  const locks: ListedLock[] = [];
  for (let calls = 0; calls < MAX_SCANS_PER_PAGE; calls += 1) {
    if (signal?.aborted) break;
    const server = servers[index]!;
    let batch: { cursor: string; keys: string[] };
    try {
      batch = await server.scan(scanCursor, match, count);
    } catch (error) {
      throw toRedisLockError(error, "list");
    }
    // Sorted so that "after the last name shown" means the same thing when the call is repeated.
    const names = [...new Set(batch.keys)]
      .sort()
      .filter((name) => after === undefined || name > after);
    for (let start = 0; start < names.length; ) {
      const chunk = names.slice(start, start + Math.max(16, limit - locks.length));
      start += chunk.length;
      const values = await Promise.all(chunk.map((name) => readKey(ctx, "list", name, signal)));
      for (let i = 0; i < chunk.length; i += 1) {
        const lock = listedLock(values[i], prefix);
        if (!lock) continue;
        locks.push(lock);
        if (locks.length === limit) {
          const last = chunk[i]!;
          const rest = names.slice(names.indexOf(last) + 1);
          // The page is full: go on after `last` in this batch, or with the next batch.
          if (rest.length > 0)
            return page(locks, { node: server.id, scan: scanCursor, after: last, count });
          return page(locks, next(servers, index, batch.cursor, count));
        }
      }
    }
    const following = next(servers, index, batch.cursor, count);
    if (following === undefined) return page(locks, undefined);
    index = servers.findIndex((node) => node.id === following.node);
    scanCursor = following.scan;
    after = undefined;
  }
  // Bounded work per call: a page may be short and still have a cursor.
  return page(locks, { node: servers[index]!.id, scan: scanCursor, after, count });
}

/** SCAN calls one page may make before it returns what it has (with a cursor). */
const MAX_SCANS_PER_PAGE = 64;

interface Position {
  readonly node: string;
  readonly scan: string;
  readonly after?: string | undefined;
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

function page(locks: ListedLock[], position: Position | undefined): DriverListPage {
  return position ? { locks, cursor: encodeCursor(position) } : { locks };
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
const globEscape = (text: string): string => text.replace(/[*?[\]\\]/g, "\\$&");

function encodeCursor({ node, scan, after, count }: Position): string {
  const fields = after === undefined ? [node, scan, count] : [node, scan, count, after];
  return Buffer.from(JSON.stringify(fields), "utf8").toString("base64url");
}

function decodeCursor(cursor: string): Position {
  try {
    const fields: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(fields) && fields.length >= 3 && fields.length <= 4) {
      const [node, scan, count, after] = fields;
      if (
        typeof node === "string" &&
        typeof scan === "string" &&
        /^\d+$/.test(scan) &&
        Number.isInteger(count) &&
        count >= 1 &&
        count <= 1000 &&
        (after === undefined || typeof after === "string")
      ) {
        return { node, scan, count, after };
      }
    }
  } catch {
    // reported below
  }
  throw new LockError("InvalidArgument", "list cursor is not one the Redis backend returned");
}
