import { join } from "node:path";
import type { BackendCapabilities } from "@syncguard/core";
import {
  type DefinedBackend,
  defineBackend,
  fenceOverflowError,
  formatFence,
  isLive,
  keyTag,
  type LockDriver,
  lockIdKeyTag,
  MAX_FENCE,
  TIME_TOLERANCE_MS,
} from "@syncguard/core/driver";
import { withKeyMutex } from "./mutex";
import { type LockRecord, readRecord, readText, removeIfPresent, writeAtomic } from "./store";

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

/** A key's files are named after its tag (in hex: some file systems ignore case). */
const nameOf = (tag: string) => Buffer.from(tag, "base64url").toString("hex");

/**
 * A lock driver on a local directory: safe across processes on one host (not over NFS). Core's
 * `defineBackend` validates input, honours signals, makes lockIds and shapes results; this only
 * stores and reads locks. Every lockId ends in its key's tag, so release finds the file from it.
 */
export function createFileDriver({ dir }: FileBackendOptions): LockDriver<FileCapabilities> {
  const lockPath = (name: string) => join(dir, "locks", `${name}.json`);
  const fencePath = (name: string) => join(dir, "fences", name);
  /** The live lock stored under a name, or undefined; and the one `lockId` holds. */
  const readLive = async (name: string) => {
    const lock = await readRecord(lockPath(name));
    return lock && isLive(lock.expiresAtMs, Date.now()) ? lock : undefined;
  };
  const readHeld = async (lockId: string) => {
    const lock = await readLive(nameOf(lockIdKeyTag(lockId)));
    return lock?.lockId === lockId ? lock : undefined;
  };
  /** Runs `act` under the key's mutex with the live lock `lockId` holds, if it holds one. */
  const withHeld = <T>(lockId: string, act: (held?: LockRecord) => Promise<T>) =>
    withKeyMutex(dir, nameOf(lockIdKeyTag(lockId)), async () => act(await readHeld(lockId)));
  return {
    capabilities: { backend: "file", supportsFencing: true, timeAuthority: "client" },
    acquire: ({ key, tag, ttlMs, lockId }) =>
      withKeyMutex(dir, nameOf(tag), async () => {
        const name = nameOf(tag);
        const now = Date.now();
        const current = await readLive(name);
        if (current) {
          if (current.lockId === lockId) return { acquired: true, ...current };
          // Held (by this key, or by another key with the same tag: never shared either).
          const remainingMs = current.expiresAtMs + TIME_TOLERANCE_MS - now;
          return { acquired: false, holder: { fence: current.fence, remainingMs } };
        }
        const counter = Number((await readText(fencePath(name))) ?? "0");
        if (counter >= MAX_FENCE) throw fenceOverflowError(key); // before any write
        const fence = formatFence(counter + 1);
        const lock = { key, lockId, fence, acquiredAtMs: now, expiresAtMs: now + ttlMs };
        // Counter first: if we crash after it, a fence is skipped, never reused.
        await writeAtomic(dir, fencePath(name), lock.fence);
        await writeAtomic(dir, lockPath(name), JSON.stringify(lock));
        return { acquired: true, ...lock };
      }),
    release: ({ lockId }) =>
      withHeld(lockId, async (held) => {
        if (held) await removeIfPresent(lockPath(nameOf(lockIdKeyTag(lockId))));
        return { released: held !== undefined };
      }),
    extend: ({ lockId, ttlMs }) =>
      withHeld(lockId, async (held) => {
        if (!held) return undefined;
        const expiresAtMs = Date.now() + ttlMs; // replaces the expiry, never adds to it
        const path = lockPath(nameOf(lockIdKeyTag(lockId)));
        await writeAtomic(dir, path, JSON.stringify({ ...held, expiresAtMs }));
        return { expiresAtMs };
      }),
    // Pure reads: records are replaced atomically, so they need no mutex.
    readByKey: ({ key }) => readLive(nameOf(keyTag(key))),
    readByLockId: ({ lockId }) => readHeld(lockId),
  };
}

/** The backend: the driver wrapped by core. */
export function createFileBackend(options: FileBackendOptions): DefinedBackend<FileCapabilities> {
  return defineBackend(createFileDriver(options));
}
