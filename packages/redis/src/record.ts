import { LOCK_ID_LENGTH } from "@syncguard/core";
import { malformed } from "./reply";

/**
 * The value at a lock key is one string, written with `SET ... PX` in the same call that sets its
 * lifetime:
 * - a lock record `lockId|fence|expiresAtMs|acquiredAtMs|waited|key` (the key last, so it may hold
 *   `|`). `waited` is `1` once an attempt was turned away while this lock was held: only then does
 *   its release announce itself and look at the wait queue. An uncontended release skips both
 *   (like a futex's contended bit). Waiters always attempt after subscribing, so the attempt that
 *   sets the bit comes after their subscription and no wake-up is lost.
 * - or, for a moment after a release, a reservation `~waiterId`: the key is free but handed to
 *   that queued waiter (`~` never starts a lockId, which is base64url). A reservation counts as
 *   waited on: the record that replaces it starts with the bit set.
 * These Lua helpers are part of every script's prelude.
 */
export const LUA_RECORD = `local function isReservation(value) return string.byte(value, 1) == 126 end
local function recordOwner(value) return string.sub(value, 1, ${LOCK_ID_LENGTH}) end
local function recordFenceAndExpiry(value)
  local fence, expiresAt = string.match(value, '^[^|]*|(%d+)|(%d+)|')
  return fence, tonumber(expiresAt)
end
local function recordWaited(value)
  return isReservation(value) or string.match(value, '^[^|]*|%d+|%d+|%d+|1|') ~= nil
end
local function withWaited(value)
  local head, tail = string.match(value, '^([^|]*|%d+|%d+|%d+|)[01](|.*)$')
  return head .. '1' .. tail
end
local function withExpiry(value, expiresAt)
  local head, tail = string.match(value, '^([^|]*|%d+|)%d+(|.*)$')
  return head .. int(expiresAt) .. tail
end
local function formatRecord(lockId, fence, expiresAt, acquiredAt, waited, key)
  return lockId .. '|' .. int(fence) .. '|' .. int(expiresAt) .. '|' .. int(acquiredAt) .. '|'
    .. (waited and '1' or '0') .. '|' .. key
end
`;

export interface LockRecord {
  readonly lockId: string;
  readonly fence: number;
  readonly expiresAtMs: number;
  readonly acquiredAtMs: number;
  readonly waited: boolean;
  readonly key: string;
}

const RECORD_PATTERN = /^([A-Za-z0-9_-]+)\|(\d+)\|(\d+)\|(\d+)\|([01])\|/s;

export function parseRecord(text: string): LockRecord {
  const match = RECORD_PATTERN.exec(text);
  if (!match) throw malformed("lock record", text);
  return {
    lockId: match[1] as string,
    fence: Number(match[2]),
    expiresAtMs: Number(match[3]),
    acquiredAtMs: Number(match[4]),
    waited: match[5] === "1",
    key: text.slice(match[0].length),
  };
}
