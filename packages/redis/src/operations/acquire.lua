-- KEYS: the lock record, the fence counter of its route, the key's wait queue.
-- ARGV: lockId, ttlMs, normalized key, then with a waiter: its queue member, its remaining wait
-- in ms, and '0' on its first attempt (it cannot be queued yet) or '1'.
-- Returns {1, fence, expiresAtMs} acquired (or already held by this lockId: unchanged)
--       | {0, holder fence, holder remainingMs} held | {2, remainingMs} held without a fence to
--         report (reserved for an older waiter, or the record of another key with the same tag)
--       | {-1} fence overflow.
-- The record lives ttl + tolerance (PX): it exists exactly while it is live.
local lockId, ttl, key, waiter = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local current = redis.call('GET', KEYS[1])

-- A waiter turned away joins the queue in arrival order, so a release can hand it the key.
local function enqueue()
  if not waiter then return end
  local waitMs = tonumber(ARGV[5])
  redis.call('ZADD', KEYS[3], 'NX', serverNow(), waiter)
  if redis.call('PTTL', KEYS[3]) < waitMs then
    redis.call('PEXPIRE', KEYS[3], waitMs + TOLERANCE)
  end
end

if current then
  if isReservation(current) then
    if string.sub(current, 2) ~= waiter then
      enqueue()
      return {2, redis.call('PTTL', KEYS[1])}
    end
  else
    local fence, expiresAt, waited, holderKey = recordFields(current)
    if recordOwner(current) == lockId and holderKey == key then
      return {1, fence, expiresAt}
    end
    -- Turned away: mark the lock as waited on, so its release wakes the waiters.
    if not waited then redis.call('SET', KEYS[1], withWaited(current), 'KEEPTTL') end
    enqueue()
    if holderKey ~= key then return {2, redis.call('PTTL', KEYS[1])} end
    return {0, fence, redis.call('PTTL', KEYS[1])}
  end
end

local fence = redis.call('INCR', KEYS[2])
if fence > MAX_FENCE then
  -- Undo at once: a refused acquire leaves no trace.
  redis.call('DECR', KEYS[2])
  return {-1}
end
local now = serverNow()
local expiresAt = now + ttl
-- Taking over a reservation: the others in the queue still wait, so keep announcing.
redis.call('SET', KEYS[1], formatRecord(lockId, fence, expiresAt, now, current ~= false, key),
  'PX', ttl + TOLERANCE)
if waiter and ARGV[6] ~= '0' then redis.call('ZREM', KEYS[3], waiter) end
return {1, fence, expiresAt}
