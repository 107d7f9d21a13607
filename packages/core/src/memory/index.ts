import { type DefinedBackend, defineBackend } from "../define-backend";
import type { LockDriver, StoredLock } from "../driver";
import { LockError } from "../errors";
import { fenceOverflowError, formatFence, MAX_FENCE, warnIfFenceNearLimit } from "../fence";
import { type Logger, validateLogger } from "../logger";
import { checkBackendOptionNames } from "../option-names";
import { type Clock, isLive, isPastCleanupGuard, systemClock, TIME_TOLERANCE_MS } from "../time";
import type { BackendCapabilities, ReleaseListener } from "../types";
import { memoryPermits } from "./permits";

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
  /** Where warnings go, for this backend and the locks taken on it. Default `console`. */
  logger?: Logger;
}

const MEMORY_OPTION_NAMES: ReadonlySet<string> = new Set(["clock", "cleanupInIsLocked", "logger"]);

/** The in-memory backend: the whole contract in one process (tests, the reference backend). */
export interface MemoryBackend extends DefinedBackend<MemoryCapabilities> {
  /** Number of lock records currently stored (expired ones included until swept). For tests. */
  readonly size: number;
}

interface Stored extends StoredLock {
  expiresAtMs: number;
  readonly fence: string;
}

/**
 * A process-local backend that obeys the whole contract. Use it in unit tests of code that takes
 * a lock, and as the reference the conformance suite is proven on. It does not coordinate
 * separate processes.
 */
export function createMemoryBackend(options: MemoryBackendOptions = {}): MemoryBackend {
  const driver = createMemoryDriver(options);
  const backend = defineBackend(driver);
  return Object.defineProperty(backend, "size", { get: () => driver.size }) as MemoryBackend;
}

/** The memory backend's driver: the smallest complete driver, and a base for test doubles. */
export function createMemoryDriver(
  options: MemoryBackendOptions = {},
): LockDriver<MemoryCapabilities> & { readonly size: number } {
  if (options === null || typeof options !== "object") {
    throw new LockError("InvalidArgument", "Memory backend options must be an object");
  }
  checkBackendOptionNames(options, MEMORY_OPTION_NAMES, "createMemoryBackend() options");
  const clock = options.clock ?? systemClock;
  const ownClock = options.clock === undefined ? {} : { clock: options.clock };
  const logger = validateLogger(options.logger);
  const locks = new Map<string, Stored>();
  const keyByLockId = new Map<string, string>();
  const fences = new Map<string, bigint>(); // never deleted
  const listeners = new Map<string, ReleaseListener>();

  const liveOf = (lockId: string): Stored | undefined => {
    const key = keyByLockId.get(lockId);
    const lock = key === undefined ? undefined : locks.get(key);
    // Explicit ownership check: the index could point at a key a newer holder now owns.
    return lock && lock.lockId === lockId && isLive(lock.expiresAtMs, clock()) ? lock : undefined;
  };
  const remove = (lock: Stored): void => {
    locks.delete(lock.key);
    keyByLockId.delete(lock.lockId);
    const listener = listeners.get(lock.key);
    if (listener) queueMicrotask(() => listener());
  };
  // Every operation yields once so callers see real asynchrony, as with a network backend.
  const tick = () => Promise.resolve();

  return {
    capabilities: { backend: "memory", supportsFencing: true, timeAuthority: "client" },
    ...ownClock,
    get size() {
      return locks.size;
    },
    // An idle in-process listener costs nothing: keep hot keys watched between callers.
    watchLingerMs: 2_000,
    ...(logger ? { logger } : {}),
    permits: memoryPermits(clock, logger),
    async acquire({ key, ttlMs, lockId }) {
      await tick();
      const now = clock();
      const current = locks.get(key);
      if (current && isLive(current.expiresAtMs, now)) {
        if (current.lockId === lockId) {
          return { acquired: true, expiresAtMs: current.expiresAtMs, fence: current.fence };
        }
        const remainingMs = current.expiresAtMs + TIME_TOLERANCE_MS - now;
        return { acquired: false, holder: { fence: current.fence, remainingMs } };
      }
      const counter = fences.get(key) ?? 0n;
      if (counter >= BigInt(MAX_FENCE)) throw fenceOverflowError(key);
      if (current) keyByLockId.delete(current.lockId);
      fences.set(key, counter + 1n);
      const lock: Stored = {
        key,
        lockId,
        acquiredAtMs: now,
        expiresAtMs: now + ttlMs,
        fence: formatFence(counter + 1n),
      };
      locks.set(key, lock);
      keyByLockId.set(lockId, key);
      warnIfFenceNearLimit(key, lock.fence, logger);
      return { acquired: true, expiresAtMs: lock.expiresAtMs, fence: lock.fence };
    },
    async release({ lockId }) {
      await tick();
      const lock = liveOf(lockId);
      if (!lock) return { released: false };
      remove(lock);
      return { released: true };
    },
    async extend({ lockId, ttlMs }) {
      await tick();
      const lock = liveOf(lockId);
      if (!lock) return undefined;
      lock.expiresAtMs = clock() + ttlMs;
      return { expiresAtMs: lock.expiresAtMs };
    },
    async readByKey({ key }) {
      await tick();
      const lock = locks.get(key);
      return lock && isLive(lock.expiresAtMs, clock()) ? { ...lock } : undefined;
    },
    async readByLockId({ lockId }) {
      await tick();
      const lock = liveOf(lockId);
      return lock ? { ...lock } : undefined;
    },
    async isLocked({ key }) {
      await tick();
      const lock = locks.get(key);
      if (!lock) return false;
      const now = clock();
      if (isLive(lock.expiresAtMs, now)) return true;
      if (options.cleanupInIsLocked && isPastCleanupGuard(lock.expiresAtMs, now)) remove(lock);
      return false;
    },
    async list({ prefix, limit, cursor }) {
      await tick();
      // In key order; the cursor is the last key shown (base64url), so pages never repeat one.
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      const now = clock();
      const keys = [...locks.keys()]
        .filter((key) => key.startsWith(prefix) && (after === undefined || key > after))
        .sort();
      const page = [];
      for (const key of keys) {
        const lock = locks.get(key)!;
        if (!isLive(lock.expiresAtMs, now)) continue;
        if (page.length === limit) {
          return { locks: page, cursor: encodeCursor(page[page.length - 1]!.key) };
        }
        const { acquiredAtMs, expiresAtMs, fence } = lock;
        page.push({ key, acquiredAtMs, expiresAtMs, fence });
      }
      return { locks: page };
    },
    async readFence({ key }) {
      await tick();
      const counter = fences.get(key);
      return counter === undefined
        ? { shared: false }
        : { fence: formatFence(counter), shared: false };
    },
    async watch(key, listener) {
      listeners.set(key, listener);
      return () => {
        if (listeners.get(key) === listener) listeners.delete(key);
      };
    },
  };
}

const encodeCursor = (key: string): string => Buffer.from(key, "utf8").toString("base64url");

function decodeCursor(cursor: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new LockError("InvalidArgument", "listLocks cursor is not one this backend returned");
  }
  return Buffer.from(cursor, "base64url").toString("utf8");
}
