-- Helpers for the paths that need them. A lock key holds one string (see record.ts): a lock record
-- 'lockId|waited|fence|expiresAtMs|acquiredAtMs|key', or a reservation '~member|untilMs'.
-- Every write sets the key's expiry with PXAT from the value itself (a record lives until
-- expiresAtMs + TOLERANCE, a reservation until untilMs), so a value read back can be written
-- back with exactly the expiry it had (see release.lua). A script's common path comes before
-- this file and needs none of it: Lua creates these functions each time a script reaches them.

-- Integers in full: Lua's own conversion would print 15-digit fences in exponent notation.
local function int(n) return string.format('%.0f', n) end

-- The Redis clock in ms: expiry is judged by the server (time authority).
local function serverNow()
  local time = redis.call('TIME')
  return time[1] * 1000 + math.floor(time[2] / 1000)
end

local function isReservation(value) return string.byte(value, 1) == 126 end

local function recordOwner(value) return string.sub(value, 1, LOCK_ID_LENGTH) end

-- fence (digits), expiresAtMs (number), key (the rest: it may hold '|').
local function recordFields(value)
  local fence, expiresAt, key = string.match(value, '^[^|]*|[01]|(%d+)|(%d+)|%d+|(.*)$')
  return fence, tonumber(expiresAt), key
end

local function withExpiry(value, expiresAt)
  local head, tail = string.match(value, '^([^|]*|[01]|%d+|)%d+(|.*)$')
  return head .. int(expiresAt) .. tail
end

local function formatRecord(lockId, fence, expiresAt, acquiredAt, waited, key)
  return lockId .. (waited and '|1|' or '|0|') .. int(fence) .. '|' .. int(expiresAt) .. '|'
    .. int(acquiredAt) .. '|' .. key
end

local function formatReservation(member, untilMs) return '~' .. member .. '|' .. int(untilMs) end

-- The queue member a reservation is for, and when it lapses (nil if the value does not say).
local function reservationFields(value)
  local member, untilMs = string.match(value, '^~([^|]*)|(%d+)$')
  if not member then return string.sub(value, 2), nil end
  return member, tonumber(untilMs)
end

-- When a value's key expires, read from the value (nil when it does not say).
local function keyExpiryOf(value)
  if isReservation(value) then
    local _, untilMs = reservationFields(value)
    return untilMs
  end
  local _, expiresAt = recordFields(value)
  return expiresAt and expiresAt + TOLERANCE
end

-- The key's release channel: the record's name with 'released:' for 'lock:' before the tag.
local function releaseChannel(recordName)
  return string.sub(recordName, 1, -18) .. 'released:' .. string.sub(recordName, -12)
end
