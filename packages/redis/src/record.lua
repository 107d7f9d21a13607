-- Helpers every script starts with. A lock key holds one string (see record.ts): a lock record
-- 'lockId|fence|expiresAtMs|acquiredAtMs|waited|key', or a reservation '~member|untilMs'.
-- Every write sets the key's expiry with PXAT from the value itself (a record lives until
-- expiresAtMs + TOLERANCE, a reservation until untilMs), so a value read back can be written
-- back with exactly the expiry it had (see release.lua).

-- Integers in full: Lua's own conversion would print 15-digit fences in exponent notation.
local function int(n) return string.format('%.0f', n) end

-- The Redis clock in ms: expiry is judged by the server (time authority).
local function serverNow()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

local function isReservation(value) return string.byte(value, 1) == 126 end

local function recordOwner(value) return string.sub(value, 1, LOCK_ID_LENGTH) end

-- fence (digits), expiresAtMs (number), waited (boolean), key (the rest: it may hold '|').
local function recordFields(value)
  local fence, expiresAt, waited, key =
    string.match(value, '^[^|]*|(%d+)|(%d+)|%d+|([01])|(.*)$')
  return fence, tonumber(expiresAt), waited == '1', key
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
