-- KEYS: the lock record, the fence counter of its route, and with a waiter the key's wait queue.
-- ARGV: lockId, ttlMs, normalized key, '1' to write first (the caller expects the key free; it
-- sends no waiter) or '0' to read first; then with a waiter: its queue member, its remaining wait
-- in ms, and '0' on its first attempt (it cannot be queued yet) or '1'.
-- Returns {1, fence, expiresAtMs} acquired (or already held by this lockId: unchanged)
--       | {0, holder fence, holder remainingMs} held | {2, remainingMs} held without a fence to
--         report (reserved for an older waiter, or the record of another key with the same tag)
--       | {-1} fence overflow.
-- The record's key expires at expiresAtMs + tolerance (PXAT): it exists exactly while it is live.
local lockId, ttl, key, waiter = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[5]
local now, current

-- Uncontended keys: counter, clock, SET NX, nothing else. If the key turns out held, SET ... GET
-- has read it, the counter is put back before anyone can see it (a script runs alone), and the
-- read-first path below answers.
if ARGV[4] == '1' then
  local fence = redis.call('INCR', KEYS[2])
  if fence <= MAX_FENCE then
    local time = redis.call('TIME')
    now = time[1] * 1000 + math.floor(time[2] / 1000)
    local expiresAt = now + ttl
    -- Below 1e14 Lua writes an integer in full; past it, string.format must.
    local value = lockId .. '|0|' .. (fence < 1e14 and fence or string.format('%.0f', fence))
      .. '|' .. expiresAt .. '|' .. now .. '|' .. key
    current = redis.call('SET', KEYS[1], value, 'NX', 'PXAT', expiresAt + TOLERANCE, 'GET')
    if not current then return {1, fence, expiresAt} end
  end
  redis.call('DECR', KEYS[2])
end

--@record

local function clock()
  now = now or serverNow()
  return now
end

local function write(fence, at, waited)
  local expiresAt = at + ttl
  local value = formatRecord(lockId, fence, expiresAt, at, waited, key)
  redis.call('SET', KEYS[1], value, 'PXAT', expiresAt + TOLERANCE)
  return expiresAt
end

if current == nil then current = redis.call('GET', KEYS[1]) end

-- A waiter turned away joins the queue in arrival order, so a release can hand it the key. The
-- queue lives as long as its most patient waiter; only a new member can need more. (PEXPIRE GT
-- would write the expiry on nearly every arrival and needs NX for a queue ZADD just created:
-- more commands than reading PTTL, which is nearly always long enough already.)
local function enqueue()
  if not waiter then return end
  if redis.call('ZADD', KEYS[3], 'NX', clock(), waiter) == 0 then return end
  local waitMs = tonumber(ARGV[6])
  if redis.call('PTTL', KEYS[3]) < waitMs then
    redis.call('PEXPIRE', KEYS[3], waitMs + TOLERANCE)
  end
end

-- What is left of a value's life, or -1 when the value does not say.
local function remaining(value)
  local expiry = keyExpiryOf(value)
  if not expiry then return -1 end
  return math.max(0, expiry - clock())
end

if current then
  if isReservation(current) then
    if reservationFields(current) ~= waiter then
      enqueue()
      return {2, remaining(current)}
    end
  else
    local fence, expiresAt, holderKey = recordFields(current)
    if recordOwner(current) == lockId and holderKey == key then return {1, fence, expiresAt} end
    -- Turned away: mark the lock as waited on, so its release wakes the waiters. The flag sits at
    -- a fixed offset: one byte is rewritten, the value and its TTL stay.
    if string.byte(current, WAITED_AT) ~= 49 then
      redis.call('SETRANGE', KEYS[1], WAITED_AT - 1, '1')
    end
    enqueue()
    if holderKey ~= key then return {2, remaining(current)} end
    return {0, fence, remaining(current)}
  end
end

local fence = redis.call('INCR', KEYS[2])
if fence > MAX_FENCE then
  -- Undo at once: a refused acquire leaves no trace.
  redis.call('DECR', KEYS[2])
  return {-1}
end
-- Taking over a reservation: the others in the queue still wait, so keep announcing.
local expiresAt = write(fence, clock(), current ~= false)
-- A queued waiter that found the key free leaves the queue; one handed the key was already
-- taken off it by the release that reserved the key.
if waiter and not current and ARGV[7] ~= '0' then redis.call('ZREM', KEYS[3], waiter) end
return {1, fence, expiresAt}
