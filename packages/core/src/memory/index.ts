import { fenceOverflowError, formatFence, MAX_FENCE, warnIfFenceNearLimit } from "../fence";
import {
  parseAcquireOptions,
  parseExtendOptions,
  parseKeyOptions,
  parseReleaseOptions,
} from "../input";
import { normalizeKey } from "../keys";
import { hashLockId, parseLookupOptions } from "../lookup";
import { type Clock, isLive, isPastCleanupGuard, systemClock, TIME_TOLERANCE_MS } from "../time";
import type {
  AcquireOptions,
  AcquireResult,
  BackendCapabilities,
  ExtendOptions,
  ExtendResult,
  KeyOptions,
  LockBackend,
  LockInfo,
  LookupOptions,
  ReleaseOptions,
  ReleaseResult,
  Unsubscribe,
} from "../types";

export interface MemoryCapabilities extends BackendCapabilities {
  readonly backend: "memory";
  readonly supportsFencing: true;
  readonly timeAuthority: "client";
}

export interface MemoryBackendOptions {
  /** Time source; inject one to test expiry without waiting. Default `Date.now`. */
  clock?: Clock;
  /** Delete expired records seen by isLocked (never fence counters). Default false. */
  cleanupInIsLocked?: boolean;
}

interface LockRecord {
  key: string;
  lockId: string;
  acquiredAtMs: number;
  expiresAtMs: number;
  fence: string;
}

export interface MemoryBackend extends LockBackend<MemoryCapabilities> {
  /** Number of lock records currently stored (expired ones included until swept). For tests. */
  readonly size: number;
  subscribe(key: string, listener: () => void): Promise<Unsubscribe>;
  readonly subscriptionLingerMs: number;
}

/**
 * A process-local backend that obeys the whole contract. Use it in unit tests of code that takes
 * a lock, and as the reference the conformance suite is proven on. It does not coordinate
 * separate processes.
 */
export function createMemoryBackend(options: MemoryBackendOptions = {}): MemoryBackend {
  const clock = options.clock ?? systemClock;
  const locks = new Map<string, LockRecord>();
  const keyByLockId = new Map<string, string>();
  const fences = new Map<string, bigint>(); // never deleted
  const listeners = new Map<string, Set<() => void>>();
  const capabilities: MemoryCapabilities = Object.freeze({
    backend: "memory",
    supportsFencing: true,
    timeAuthority: "client",
  });

  const liveRecordForLockId = (lockId: string): LockRecord | undefined => {
    const key = keyByLockId.get(lockId);
    const record = key === undefined ? undefined : locks.get(key);
    // Explicit ownership check: the index could point at a key a newer holder now owns.
    if (!record || record.lockId !== lockId || !isLive(record.expiresAtMs, clock()))
      return undefined;
    return record;
  };

  const remove = (record: LockRecord): void => {
    locks.delete(record.key);
    keyByLockId.delete(record.lockId);
    for (const listener of listeners.get(record.key) ?? []) queueMicrotask(listener);
  };

  const toInfo = (record: LockRecord): LockInfo<MemoryCapabilities> => ({
    key: record.key,
    lockIdHash: hashLockId(record.lockId),
    acquiredAtMs: record.acquiredAtMs,
    expiresAtMs: record.expiresAtMs,
    fence: record.fence,
  });

  // Every operation yields once so callers see real asynchrony, as with a network backend.
  const tick = () => Promise.resolve();

  return {
    capabilities,
    // An idle in-process listener costs nothing: keep hot keys subscribed between callers.
    subscriptionLingerMs: 2_000,
    get size() {
      return locks.size;
    },

    async acquire(opts: AcquireOptions): Promise<AcquireResult<MemoryCapabilities>> {
      const { key, ttlMs, lockId } = parseAcquireOptions(opts);
      await tick();
      const now = clock();
      const current = locks.get(key);
      if (current && isLive(current.expiresAtMs, now)) {
        if (current.lockId === lockId) {
          // A retry of an attempt that did take the lock: report it as it is.
          return { ok: true, lockId, expiresAtMs: current.expiresAtMs, fence: current.fence };
        }
        return {
          ok: false,
          reason: "locked",
          holder: {
            fence: current.fence,
            remainingMs: current.expiresAtMs + TIME_TOLERANCE_MS - now,
          },
        };
      }
      const counter = fences.get(key) ?? 0n;
      if (counter >= BigInt(MAX_FENCE)) throw fenceOverflowError(key);
      if (current) keyByLockId.delete(current.lockId);
      const next = counter + 1n;
      fences.set(key, next);
      const record: LockRecord = {
        key,
        lockId,
        acquiredAtMs: now,
        expiresAtMs: now + ttlMs,
        fence: formatFence(next),
      };
      locks.set(key, record);
      keyByLockId.set(record.lockId, key);
      warnIfFenceNearLimit(key, record.fence);
      return {
        ok: true,
        lockId: record.lockId,
        expiresAtMs: record.expiresAtMs,
        fence: record.fence,
      };
    },

    async release(opts: ReleaseOptions): Promise<ReleaseResult> {
      const { lockId } = parseReleaseOptions(opts);
      await tick();
      const record = liveRecordForLockId(lockId);
      if (!record) return { ok: false };
      const contended = (listeners.get(record.key)?.size ?? 0) > 0;
      remove(record);
      return { ok: true, contended };
    },

    async extend(opts: ExtendOptions): Promise<ExtendResult> {
      const { lockId, ttlMs } = parseExtendOptions(opts);
      await tick();
      const record = liveRecordForLockId(lockId);
      if (!record) return { ok: false };
      record.expiresAtMs = clock() + ttlMs;
      return { ok: true, expiresAtMs: record.expiresAtMs };
    },

    async isLocked(opts: KeyOptions): Promise<boolean> {
      const { key } = parseKeyOptions(opts, "isLocked");
      await tick();
      const record = locks.get(key);
      if (!record) return false;
      const now = clock();
      if (isLive(record.expiresAtMs, now)) return true;
      if (options.cleanupInIsLocked && isPastCleanupGuard(record.expiresAtMs, now)) remove(record);
      return false;
    },

    async lookup(opts: LookupOptions): Promise<LockInfo<MemoryCapabilities> | null> {
      const target = parseLookupOptions(opts);
      await tick();
      if (target.lockId !== undefined) {
        const record = liveRecordForLockId(target.lockId);
        return record ? toInfo(record) : null;
      }
      const record = locks.get(target.key);
      return record && isLive(record.expiresAtMs, clock()) ? toInfo(record) : null;
    },

    async subscribe(key: string, listener: () => void): Promise<Unsubscribe> {
      const normalized = normalizeKey(key);
      const set = listeners.get(normalized) ?? new Set<() => void>();
      listeners.set(normalized, set);
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(normalized) === set) listeners.delete(normalized);
      };
    },
  };
}
