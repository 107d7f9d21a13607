-- Helpers every script starts with. A lock key holds one string (see record.ts): a lock record
-- 'lockId|fence|expiresAtMs|acquiredAtMs|waited|key', or a reservation '~' .. waiter.

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
