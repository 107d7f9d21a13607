import { formatFence, type StoredLock } from "@syncguard/core/driver";
import { malformed, replyString } from "./reply";

/**
 * The value at a lock record key is one string, written with `SET ... PXAT` in the same call that
 * sets its lifetime, and the value says when that is, so the record exists exactly while the lock
 * is live and a script can write a value back with the expiry it had (release.lua):
 * - a lock record `lockId|waited|fence|expiresAtMs|acquiredAtMs|key` (the key last, so it may hold
 *   `|`). `waited` is `1` once an attempt was turned away while this lock was held: only then does
 *   its release look at the wait queue and announce itself (like a futex's contended bit). It sits
 *   at a fixed offset (the lockId has a fixed length), so a release reads it with one byte
 *   comparison and an acquire sets it with `SETRANGE`.
 *   Waiters always attempt after subscribing, so no wake-up is lost.
 *   The key expires at `expiresAtMs` + the tolerance.
 * - or, for a moment after a release, a reservation `~member|untilMs`: the key is free but handed
 *   to that queued waiter until then (`~` never starts a lockId, which is base64url).
 * The key is stored because a record is named after a 72-bit tag of it: a record of another key
 * with the same tag is told apart and treated as a held lock of that other key, never as ours.
 * The Lua side of this format is record.lua.
 */
export interface LockRecord {
  readonly lockId: string;
  readonly fence: number;
  readonly expiresAtMs: number;
  readonly acquiredAtMs: number;
  readonly waited: boolean;
  readonly key: string;
}

const RECORD_PATTERN = /^([A-Za-z0-9_-]+)\|([01])\|(\d+)\|(\d+)\|(\d+)\|/s;

/** True for a hand-off reservation rather than a lock record. */
export const isReservation = (text: string): boolean => text.startsWith("~");

export function parseRecord(text: string): LockRecord {
  const match = RECORD_PATTERN.exec(text);
  if (!match) throw malformed("lock record", text);
  return {
    lockId: match[1] as string,
    waited: match[2] === "1",
    fence: Number(match[3]),
    expiresAtMs: Number(match[4]),
    acquiredAtMs: Number(match[5]),
    key: text.slice(match[0].length),
  };
}

/**
 * The lock in a GET reply of a record name, or undefined for nothing or a reservation. Reads need
 * no script: a record exists exactly while its lock is live (its TTL is the lease plus the
 * tolerance). Core checks that the record is the key's (tags can collide) or the lockId's own.
 */
export function storedLockOf(reply: unknown): StoredLock | undefined {
  if (reply === null || reply === undefined) return undefined;
  const text = replyString(reply, "lock record");
  if (isReservation(text)) return undefined;
  const record = parseRecord(text);
  return {
    key: record.key,
    lockId: record.lockId,
    acquiredAtMs: record.acquiredAtMs,
    expiresAtMs: record.expiresAtMs,
    fence: formatFence(record.fence),
  };
}
