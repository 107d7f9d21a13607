import { checkBackendArgument } from "./backend-argument";
import type { ListedLock } from "./driver";
import { engineView, type PermitSummary } from "./engine-view";
import { LockError, throwIfAborted } from "./errors";
import { validateSignal } from "./input";
import { MAX_KEY_BYTES, normalizeKey, utf8Bytes } from "./keys";
import { checkOptionNames } from "./option-names";
import { describeValue } from "./time";
import type { BackendCapabilities, Fence, LockBackend } from "./types";

/** The most locks one `listLocks` page may be asked for. */
export const MAX_LIST_LIMIT = 1000;
/** The page size of `listLocks` when no `limit` is given. */
export const DEFAULT_LIST_LIMIT = 100;
/** Longest cursor accepted (every backend's cursors are far shorter). */
const MAX_CURSOR_CHARS = 8192;

/** Options of `listLocks`. */
export interface ListLocksOptions {
  /** Only keys starting with this (NFC-normalized like keys). Default "": every key. */
  prefix?: string;
  /** Most locks in the page, 1 to 1000. Default 100. */
  limit?: number;
  /** The `cursor` of the previous page. */
  cursor?: string;
  /** Aborting it stops the call with `LockError("Aborted")`. */
  signal?: AbortSignal;
}

/** A live lock in a listing: its key, fence and times (never its lockId). */
export type LockSummary = ListedLock;

/** One page of `listLocks`; no `cursor` means it is the last. */
export interface LockPage {
  /** Live locks in the store's order (keys when the store orders by key). */
  readonly locks: readonly LockSummary[];
  /**
   * Live permits of semaphores whose key starts with the prefix (ADR-041), each with its holder
   * id, never a lockId; present when the backend lists permits. A listing shows every lock
   * first, then every permit; `limit` bounds locks and permits together.
   */
  readonly permits?: readonly PermitSummary[];
  /** Pass it as `cursor` to get the next page; absent on the last page. */
  readonly cursor?: string;
}

/** What `readFence` found: the counter's value, and whether other keys share the counter. */
export interface FenceReading {
  /** The last fence issued from the key's counter, or null when none ever was. */
  readonly fence: Fence | null;
  /**
   * True when the counter is shared by several keys (Redis shares one per route): the value is
   * then at least the key's own last fence. Either way the key's next fence is greater.
   */
  readonly shared: boolean;
}

/**
 * One page of the live locks, for operators (the `syncguard` CLI). Pages follow the store's own
 * order; pass each page's `cursor` to get the next. A page may hold fewer than `limit` locks while
 * more follow: stop only when a page has no cursor. A lock taken or released while you page may
 * or may not show. Where the backend lists permits (every SyncGuard store), pages show the live
 * permits of semaphores too, in `permits`, after all the locks. Needs a backend whose driver lists (Redis and Firestore do).
 */
export async function listLocks<C extends BackendCapabilities>(
  backend: LockBackend<C>,
  options: ListLocksOptions = {},
): Promise<LockPage> {
  checkBackendArgument(backend, "listLocks()");
  const input = parseListOptions(options);
  const view = engineView(backend);
  if (!view.list) throw unsupported("listLocks", "list");
  const listPermits = view.permits?.list;
  if (!listPermits) return view.list(input);
  // Two listings in one: the store's locks, then its permits. The cursor says which one goes
  // on, and from where: "L" + a lock cursor, "P" + a permit cursor ("P" alone: from the start).
  const phase = input.cursor === undefined ? "L" : input.cursor[0];
  const inner = input.cursor?.slice(1);
  if (phase !== "L" && phase !== "P") {
    throw new LockError(
      "InvalidArgument",
      "listLocks cursor must be the non-empty string a previous page returned",
    );
  }
  const withCursor = (cursor: string | undefined) => {
    const { cursor: _given, ...rest } = input;
    return cursor ? { ...rest, cursor } : rest;
  };
  let locks: readonly LockSummary[] = [];
  if (phase === "L") {
    const page = await view.list(withCursor(inner));
    if (page.cursor !== undefined) {
      return { locks: page.locks, permits: [], cursor: `L${page.cursor}` };
    }
    locks = page.locks;
    if (locks.length >= input.limit) return { locks, permits: [], cursor: "P" };
  }
  const permitPage = await listPermits({
    ...withCursor(phase === "P" ? inner : undefined),
    limit: input.limit - locks.length,
  });
  return permitPage.cursor !== undefined
    ? { locks, permits: permitPage.permits, cursor: `P${permitPage.cursor}` }
    : { locks, permits: permitPage.permits };
}

/**
 * The fence counter a key's fences come from, for operators: null if no fence was ever issued
 * from it. A pure read; it never changes the counter. Needs a backend whose driver reads fences.
 */
export async function readFence<C extends BackendCapabilities>(
  backend: LockBackend<C>,
  key: string,
  options: { signal?: AbortSignal } = {},
): Promise<FenceReading> {
  checkBackendArgument(backend, "readFence()");
  const normalized = normalizeKey(key);
  if (options === null || typeof options !== "object") {
    throw new LockError("InvalidArgument", "readFence options must be an object");
  }
  checkOptionNames(options, SIGNAL_ONLY, "readFence() options");
  const signal = validateSignal(options.signal);
  throwIfAborted(signal, "readFence");
  const view = engineView(backend);
  if (!view.readFence) throw unsupported("readFence", "readFence");
  const read = await view.readFence(normalized, signal);
  return { fence: read.fence ?? null, shared: read.shared };
}

const LIST_NAMES: ReadonlySet<string> = new Set(["prefix", "limit", "cursor", "signal"]);
const SIGNAL_ONLY: ReadonlySet<string> = new Set(["signal"]);

function parseListOptions(options: ListLocksOptions) {
  if (options === null || typeof options !== "object") {
    throw new LockError("InvalidArgument", "listLocks options must be an object");
  }
  checkOptionNames(options, LIST_NAMES, "listLocks() options");
  const { prefix = "", limit = DEFAULT_LIST_LIMIT, cursor } = options;
  if (typeof prefix !== "string" || utf8Bytes(prefix) > MAX_KEY_BYTES) {
    throw new LockError(
      "InvalidArgument",
      `listLocks prefix must be a string of at most ${MAX_KEY_BYTES} UTF-8 bytes`,
    );
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new LockError(
      "InvalidArgument",
      `listLocks limit must be an integer from 1 to ${MAX_LIST_LIMIT}, got ${describeValue(limit)}`,
    );
  }
  if (
    cursor !== undefined &&
    (typeof cursor !== "string" || cursor === "" || cursor.length > MAX_CURSOR_CHARS)
  ) {
    throw new LockError(
      "InvalidArgument",
      "listLocks cursor must be the non-empty string a previous page returned",
    );
  }
  const signal = validateSignal(options.signal);
  throwIfAborted(signal, "listLocks");
  return {
    prefix: prefix.normalize("NFC"),
    limit,
    ...(cursor !== undefined ? { cursor } : {}),
    ...(signal ? { signal } : {}),
  };
}

function unsupported(operation: string, driverOperation: string): LockError {
  return new LockError(
    "InvalidArgument",
    `${operation} needs a backend built with defineBackend whose driver implements ${driverOperation}`,
  );
}
