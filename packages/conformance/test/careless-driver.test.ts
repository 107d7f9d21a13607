import {
  type DriverAttempt,
  defineBackend,
  formatFence,
  isLive,
  type LockDriver,
  type StoredLock,
} from "@syncguard/core/driver";
import { runConformance } from "../src";

/**
 * A driver that does everything a careless author might: it validates nothing, ignores every
 * signal, hands its raw records (lockId and all) to whoever asks, even puts the holder's lockId
 * in its "locked" answers. Wrapped by core's defineBackend it must still pass the contract's
 * input, abort and secrecy rules: core enforces them, not the driver (issue 14).
 */
function carelessDriver(): LockDriver {
  const locks = new Map<string, StoredLock & { secret: string }>();
  const fences = new Map<string, number>();
  const live = (lock: StoredLock | undefined) =>
    lock !== undefined && isLive(lock.expiresAtMs, Date.now()) ? lock : undefined;
  const byLockId = (lockId: string) => [...locks.values()].find((l) => l.lockId === lockId);
  return {
    capabilities: { backend: "careless", supportsFencing: true, timeAuthority: "client" },
    async acquire({ key, ttlMs, lockId }): Promise<DriverAttempt> {
      const current = live(locks.get(key));
      if (current && current.lockId !== lockId) {
        // Leaks the holder's lockId in every field it can think of.
        const holder = { ...current, remainingMs: 1, fence: current.fence } as never;
        return { acquired: false, holder };
      }
      if (current)
        return { acquired: true, expiresAtMs: current.expiresAtMs, fence: current.fence };
      const fence = formatFence((fences.get(key) ?? 0) + 1);
      fences.set(key, (fences.get(key) ?? 0) + 1);
      const now = Date.now();
      const lock = {
        key,
        lockId,
        secret: lockId,
        acquiredAtMs: now,
        expiresAtMs: now + ttlMs,
        fence,
      };
      locks.set(key, lock);
      return { acquired: true, expiresAtMs: lock.expiresAtMs, fence };
    },
    async release({ lockId }) {
      const lock = live(byLockId(lockId));
      if (lock) locks.delete(lock.key);
      return { released: lock !== undefined };
    },
    async extend({ lockId, ttlMs }) {
      const lock = live(byLockId(lockId)) as (StoredLock & { expiresAtMs: number }) | undefined;
      if (!lock) return undefined;
      lock.expiresAtMs = Date.now() + ttlMs;
      return { expiresAtMs: lock.expiresAtMs };
    },
    readByKey: async ({ key }) => live(locks.get(key)),
    readByLockId: async ({ lockId }) => live(byLockId(lockId)),
  };
}

runConformance({
  name: "careless driver, wrapped by core",
  createBackend: () => defineBackend(carelessDriver()),
  suites: ["validation", "abort", "lookup", "acquire"],
});
