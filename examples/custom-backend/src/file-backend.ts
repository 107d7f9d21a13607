import { join } from "node:path";
import {
  type AcquireOptions,
  type AcquireResult,
  type BackendCapabilities,
  type ExtendOptions,
  type ExtendResult,
  fenceOverflowError,
  formatFence,
  hashLockId,
  isLive,
  type KeyOptions,
  type LockBackend,
  type LockInfo,
  type LookupOptions,
  MAX_FENCE,
  parseAcquireOptions,
  parseExtendOptions,
  parseKeyOptions,
  parseLookupOptions,
  parseReleaseOptions,
  type ReleaseOptions,
  type ReleaseResult,
  TIME_TOLERANCE_MS,
} from "@syncguard/core";
import { withKeyMutex } from "./mutex";
import {
  fileNameOf,
  idFileOf,
  type LockRecord,
  readRecord,
  readText,
  removeIfPresent,
  writeAtomic,
} from "./store";

export interface FileCapabilities extends BackendCapabilities {
  readonly backend: "file";
  readonly supportsFencing: true;
  /** Every process on the host reads the same system clock. */
  readonly timeAuthority: "client";
}

export interface FileBackendOptions {
  /** The directory holding all locks. Create it with `prepareDirectory` first. */
  dir: string;
}

/**
 * A SyncGuard backend on a local directory: safe across processes on one host (not over NFS).
 * Shape of every operation: validate input and honour the abort signal (core's parse* helpers),
 * then I/O.
 */
export function createFileBackend(options: FileBackendOptions): LockBackend<FileCapabilities> {
  const { dir } = options;
  const lockPath = (name: string) => join(dir, "locks", `${name}.json`);
  const fencePath = (name: string) => join(dir, "fences", name);
  const idPath = (lockId: string) => join(dir, "ids", idFileOf(lockId));
  const toInfo = (record: LockRecord): LockInfo<FileCapabilities> => ({
    key: record.key,
    lockIdHash: hashLockId(record.lockId),
    acquiredAtMs: record.acquiredAtMs,
    expiresAtMs: record.expiresAtMs,
    fence: record.fence,
  });

  /** The live record `lockId` holds, with its file name, or undefined. */
  const ownedRecord = async (lockId: string) => {
    const name = await readText(idPath(lockId));
    if (name === undefined) return undefined;
    const record = await readRecord(lockPath(name));
    // The index may be stale (a newer holder took the key): ownership is the record's lockId.
    if (!record || record.lockId !== lockId || !isLive(record.expiresAtMs, Date.now()))
      return undefined;
    return { name, record };
  };

  return {
    capabilities: Object.freeze({
      backend: "file",
      supportsFencing: true,
      timeAuthority: "client",
    }),

    async acquire(opts: AcquireOptions): Promise<AcquireResult<FileCapabilities>> {
      const { key, ttlMs, lockId } = parseAcquireOptions(opts);
      const name = fileNameOf(key);
      return withKeyMutex(dir, name, async () => {
        const now = Date.now();
        const current = await readRecord(lockPath(name));
        if (current && isLive(current.expiresAtMs, now)) {
          if (current.lockId === lockId) {
            // A retry of an attempt that did take the lock: report it unchanged.
            return { ok: true, lockId, expiresAtMs: current.expiresAtMs, fence: current.fence };
          }
          const remainingMs = current.expiresAtMs + TIME_TOLERANCE_MS - now;
          return { ok: false, reason: "locked", holder: { fence: current.fence, remainingMs } };
        }
        const counter = Number((await readText(fencePath(name))) ?? "0");
        if (counter >= MAX_FENCE) throw fenceOverflowError(key); // before any write
        const fence = formatFence(counter + 1);
        const record: LockRecord = {
          key,
          lockId,
          acquiredAtMs: now,
          expiresAtMs: now + ttlMs,
          fence,
        };
        // Counter first: if we crash after it, a fence is skipped, never reused.
        await writeAtomic(dir, fencePath(name), fence);
        await writeAtomic(dir, idPath(record.lockId), name);
        await writeAtomic(dir, lockPath(name), JSON.stringify(record));
        if (current) await removeIfPresent(idPath(current.lockId));
        return { ok: true, lockId: record.lockId, expiresAtMs: record.expiresAtMs, fence };
      });
    },

    async release(opts: ReleaseOptions): Promise<ReleaseResult> {
      const { lockId } = parseReleaseOptions(opts);
      const name = await readText(idPath(lockId));
      if (name === undefined) return { ok: false };
      return withKeyMutex(dir, name, async () => {
        const owned = await ownedRecord(lockId);
        if (!owned) return { ok: false };
        await removeIfPresent(lockPath(name));
        await removeIfPresent(idPath(lockId));
        return { ok: true };
      });
    },

    async extend(opts: ExtendOptions): Promise<ExtendResult> {
      const { lockId, ttlMs } = parseExtendOptions(opts);
      const name = await readText(idPath(lockId));
      if (name === undefined) return { ok: false };
      return withKeyMutex(dir, name, async () => {
        const owned = await ownedRecord(lockId);
        if (!owned) return { ok: false };
        const expiresAtMs = Date.now() + ttlMs; // replaces the expiry, never adds to it
        await writeAtomic(dir, lockPath(name), JSON.stringify({ ...owned.record, expiresAtMs }));
        return { ok: true, expiresAtMs };
      });
    },

    async isLocked(opts: KeyOptions): Promise<boolean> {
      const { key } = parseKeyOptions(opts, "isLocked");
      // A pure read: records are replaced atomically, so no mutex is needed.
      const record = await readRecord(lockPath(fileNameOf(key)));
      return record !== undefined && isLive(record.expiresAtMs, Date.now());
    },

    async lookup(opts: LookupOptions): Promise<LockInfo<FileCapabilities> | null> {
      const target = parseLookupOptions(opts);
      if (target.lockId !== undefined) {
        const owned = await ownedRecord(target.lockId);
        return owned ? toInfo(owned.record) : null;
      }
      const record = await readRecord(lockPath(fileNameOf(target.key)));
      return record && isLive(record.expiresAtMs, Date.now()) ? toInfo(record) : null;
    },
  };
}
