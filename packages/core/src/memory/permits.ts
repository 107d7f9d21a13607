import type { PermitDriver, StoredPermit } from "../driver";
import { LockError } from "../errors";
import {
  compareFence,
  fenceOverflowError,
  formatFence,
  isFence,
  MAX_FENCE,
  warnIfFenceNearLimit,
} from "../fence";
import type { Logger } from "../logger";
import { permitsMismatchError } from "../permits";
import { type Clock, isLive, TIME_TOLERANCE_MS } from "../time";
import type { ReleaseListener } from "../types";

interface Permit {
  readonly lockId: string;
  readonly fence: string;
  readonly acquiredAtMs: number;
  expiresAtMs: number;
}

/** One semaphore key: the permits its live holders agreed on, and their permits. */
interface Semaphore {
  permits: number;
  readonly held: Map<string, Permit>;
}

/**
 * The memory backend's semaphores (ADR-039): permits per key, with their own fence counters (a
 * semaphore "k" and a lock "k" never meet). Expired permits are dropped when their key is next
 * touched; their holders were not told, as with an expired lock.
 */
export function memoryPermits(clock: Clock, logger: Logger | undefined): PermitDriver {
  const semaphores = new Map<string, Semaphore>();
  const fences = new Map<string, bigint>(); // never deleted
  const listeners = new Map<string, ReleaseListener>();
  const tick = () => Promise.resolve();

  /** The key's semaphore with only live permits, or undefined when none is live. */
  const liveSemaphore = (key: string, now: number): Semaphore | undefined => {
    const semaphore = semaphores.get(key);
    if (!semaphore) return undefined;
    for (const [lockId, permit] of semaphore.held) {
      if (!isLive(permit.expiresAtMs, now)) semaphore.held.delete(lockId);
    }
    if (semaphore.held.size > 0) return semaphore;
    semaphores.delete(key);
    return undefined;
  };
  const livePermit = (key: string, lockId: string): Permit | undefined =>
    liveSemaphore(key, clock())?.held.get(lockId);

  const stored = (key: string, semaphore: Semaphore): (StoredPermit & { fence: string })[] =>
    [...semaphore.held.values()]
      .map((permit) => ({ key, ...permit, permits: semaphore.permits }))
      .sort((a, b) => compareFence(a.fence, b.fence));

  return {
    async acquire({ key, ttlMs, lockId, permits }) {
      await tick();
      const now = clock();
      const semaphore = liveSemaphore(key, now);
      const mine = semaphore?.held.get(lockId);
      if (mine) return { acquired: true, expiresAtMs: mine.expiresAtMs, fence: mine.fence };
      if (semaphore && semaphore.permits !== permits) {
        throw permitsMismatchError(key, semaphore.permits, permits);
      }
      if (semaphore && semaphore.held.size >= permits) {
        let first: Permit | undefined;
        for (const permit of semaphore.held.values()) {
          if (!first || permit.expiresAtMs < first.expiresAtMs) first = permit;
        }
        const remainingMs = first!.expiresAtMs + TIME_TOLERANCE_MS - now;
        return { acquired: false, holder: { fence: first!.fence, remainingMs } };
      }
      const counter = fences.get(key) ?? 0n;
      if (counter >= BigInt(MAX_FENCE)) throw fenceOverflowError(key);
      fences.set(key, counter + 1n);
      const permit: Permit = {
        lockId,
        fence: formatFence(counter + 1n),
        acquiredAtMs: now,
        expiresAtMs: now + ttlMs,
      };
      const held = semaphore ?? { permits, held: new Map() };
      held.held.set(lockId, permit);
      semaphores.set(key, held);
      warnIfFenceNearLimit(key, permit.fence, logger);
      return { acquired: true, expiresAtMs: permit.expiresAtMs, fence: permit.fence };
    },
    async release({ key, lockId }) {
      await tick();
      if (!livePermit(key, lockId)) return { released: false };
      semaphores.get(key)?.held.delete(lockId);
      const listener = listeners.get(key);
      if (listener) queueMicrotask(() => listener());
      return { released: true };
    },
    async extend({ key, lockId, ttlMs }) {
      await tick();
      const permit = livePermit(key, lockId);
      if (!permit) return undefined;
      permit.expiresAtMs = clock() + ttlMs;
      return { expiresAtMs: permit.expiresAtMs };
    },
    async read({ key }) {
      await tick();
      const semaphore = liveSemaphore(key, clock());
      return semaphore && { permits: semaphore.permits, holders: stored(key, semaphore) };
    },
    // Ordered by key, then fence; the cursor is the last permit shown.
    async list({ prefix, limit, cursor }) {
      await tick();
      const now = clock();
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      const permits: (StoredPermit & { fence: string })[] = [];
      for (const key of [...semaphores.keys()].sort(compareKeys)) {
        if (!key.startsWith(prefix) || (after && compareKeys(key, after.key) < 0)) continue;
        const semaphore = liveSemaphore(key, now);
        if (!semaphore) continue;
        for (const permit of stored(key, semaphore)) {
          if (after && key === after.key && compareFence(permit.fence, after.fence) <= 0) continue;
          if (permits.length === limit) {
            const last = permits.at(-1)!;
            return { permits, cursor: encodeCursor(last.key, last.fence) };
          }
          permits.push(permit);
        }
      }
      return { permits };
    },
    async watch(key, listener) {
      listeners.set(key, listener);
      return () => {
        if (listeners.get(key) === listener) listeners.delete(key);
      };
    },
  };
}

/** Keys in code-unit order (the order `<` gives), the same on every run. */
const compareKeys = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const encodeCursor = (key: string, fence: string): string =>
  Buffer.from(JSON.stringify([key, fence]), "utf8").toString("base64url");

function decodeCursor(cursor: string): { key: string; fence: string } {
  try {
    const fields: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(fields) && typeof fields[0] === "string" && isFence(fields[1])) {
      return { key: fields[0], fence: fields[1] };
    }
  } catch {
    // reported below
  }
  throw new LockError("InvalidArgument", "list cursor is not one the memory backend returned");
}
