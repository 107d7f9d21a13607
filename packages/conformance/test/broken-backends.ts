import { formatFence, hashLockId, MAX_TTL_MS, normalizeKey } from "@syncguard/core/driver";
import { createMemoryBackend, type MemoryBackend } from "@syncguard/core/memory";

/**
 * Deliberately broken backends, each built on the memory backend with one classic bug.
 * The conformance suite must catch every one of them.
 */

/** The memory backend with some operations replaced by buggy ones. */
function withBug(inner: MemoryBackend, bug: Partial<MemoryBackend>): MemoryBackend {
  return {
    ...inner,
    capabilities: inner.capabilities,
    get size() {
      return inner.size;
    },
    ...bug,
  };
}

/** Release deletes whatever holds the key the lockId once held: no ownership check. */
export function releaseIgnoresOwner(): MemoryBackend {
  const inner = createMemoryBackend();
  const keyOfLockId = new Map<string, string>(); // never pruned, like a stale index
  const holderOfKey = new Map<string, string>();
  return withBug(inner, {
    async acquire(options) {
      const result = await inner.acquire(options);
      if (result.ok) {
        const key = normalizeKey(options.key);
        keyOfLockId.set(result.lockId, key);
        holderOfKey.set(key, result.lockId);
      }
      return result;
    },
    async release(options) {
      const key = keyOfLockId.get(options.lockId);
      const current = key === undefined ? undefined : holderOfKey.get(key);
      // BUG: releases the key's current holder, whoever it is.
      return inner.release({ ...options, lockId: current ?? options.lockId });
    },
  });
}

/** Fence counters are stored with the lock and deleted on release, so fences repeat. */
export function fenceResetOnRelease(): MemoryBackend {
  const inner = createMemoryBackend();
  const counters = new Map<string, number>();
  const fenceOfLockId = new Map<string, string>();
  const keyOfLockId = new Map<string, string>();
  const patch = <T extends { lockIdHash: string } | null>(info: T): T => {
    if (!info) return info;
    for (const [lockId, fence] of fenceOfLockId) {
      if (hashLockId(lockId) === info.lockIdHash) return { ...info, fence };
    }
    return info;
  };
  return withBug(inner, {
    async acquire(options) {
      const result = await inner.acquire(options);
      if (!result.ok) return result;
      const key = normalizeKey(options.key);
      const next = (counters.get(key) ?? 0) + 1;
      counters.set(key, next);
      const fence = formatFence(next);
      fenceOfLockId.set(result.lockId, fence);
      keyOfLockId.set(result.lockId, key);
      return { ...result, fence };
    },
    async release(options) {
      const result = await inner.release(options);
      const key = keyOfLockId.get(options.lockId);
      if (result.ok && key !== undefined) counters.delete(key); // BUG: the counter dies with the lock
      return result;
    },
    async lookup(options) {
      return patch(await inner.lookup(options));
    },
  });
}

/** The TTL is reported but never enforced: locks live until released. */
export function locksNeverExpire(): MemoryBackend {
  const inner = createMemoryBackend();
  const reportedExpiry = new Map<string, number>(); // by lockIdHash
  const patch = <T extends { lockIdHash: string; expiresAtMs: number } | null>(info: T): T =>
    info ? { ...info, expiresAtMs: reportedExpiry.get(info.lockIdHash) ?? info.expiresAtMs } : info;
  return withBug(inner, {
    async acquire(options) {
      const now = Date.now();
      // Validate the caller's TTL as a real backend would, then store "forever".
      const probe = await inner.acquire({ ...options, key: `__probe__${Math.random()}` });
      if (probe.ok) await inner.release({ lockId: probe.lockId });
      const result = await inner.acquire({ ...options, ttlMs: MAX_TTL_MS }); // BUG
      if (!result.ok) return result;
      const expiresAtMs = now + options.ttlMs;
      reportedExpiry.set(hashLockId(result.lockId), expiresAtMs);
      return { ...result, expiresAtMs };
    },
    async extend(options) {
      const result = await inner.extend({ ...options });
      if (!result.ok) return result;
      const expiresAtMs = Date.now() + options.ttlMs;
      await inner.extend({ ...options, ttlMs: MAX_TTL_MS }); // BUG
      reportedExpiry.set(hashLockId(options.lockId), expiresAtMs);
      return { ok: true, expiresAtMs };
    },
    async lookup(options) {
      return patch(await inner.lookup(options));
    },
  });
}

/** Echoes the lockId it was given in its "not held" error: a bearer secret in every log line. */
export function lockIdInErrors(): MemoryBackend {
  const inner = createMemoryBackend();
  return withBug(inner, {
    async extend(options) {
      const result = await inner.extend(options);
      // BUG: the lockId goes into a message that ends up in logs.
      if (!result.ok) console.warn(`extend: lock ${String(options.lockId)} is not held`);
      return result;
    },
  });
}

/** Puts the connection string, password included, into an error for an ill-typed key. */
export function secretInErrors(secret: string): () => MemoryBackend {
  return () => {
    const inner = createMemoryBackend();
    return withBug(inner, {
      async isLocked(options) {
        if (typeof options.key !== "string") {
          // BUG: a connection string with its password in an error message.
          throw new Error(`redis://app:${secret}@127.0.0.1:1 refused the request`);
        }
        return inner.isLocked(options);
      },
    });
  };
}
