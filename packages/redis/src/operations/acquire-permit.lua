-- KEYS: the semaphore's permits (sorted set: lockId -> expiresAtMs), its holders (hash: lockId ->
-- fence, and 'permits' -> the number the live holders agreed on, 'key' -> the normalized key),
-- the fence counter of its route, its wait queue (sorted set: 'waiterId:budgetMs' -> arrival).
-- ARGV: lockId, ttlMs, normalized key, permits; then with a waiter: its queue member, its
-- remaining wait in ms, and its id.
-- A released permit reserved for a waiter is a member '~waiterId' of the permits, live for the
-- hand-off window: it holds a slot until that waiter takes it or the window lapses.
-- Returns {1, fence, expiresAtMs} acquired (or already held by this lockId: unchanged)
--       | {0, fence, remainingMs} every permit is held: the one that expires first
--       | {2, remainingMs} held by another semaphore key with the same tag
--       | {3, permits} the live holders agreed on another number of permits
--       | {-1} fence overflow.
-- A permit is live until expiresAtMs + TOLERANCE by the server clock; both keys expire then with
-- the latest permit, and expired permits are dropped whenever the semaphore is touched.
local lockId, ttl, key, permits = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local member, waiterId = ARGV[5], ARGV[7]
local time = redis.call('TIME')
local now = time[1] * 1000 + math.floor(time[2] / 1000)
local function int(n) return string.format('%.0f', n) end

local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - TOLERANCE)
if #expired > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - TOLERANCE)
  redis.call('HDEL', KEYS[2], unpack(expired))
end

local mine = redis.call('ZSCORE', KEYS[1], lockId)
if mine then return {1, redis.call('HGET', KEYS[2], lockId), tonumber(mine)} end

-- A waiter turned away joins the queue in arrival order, so a release can reserve it a permit.
local function enqueue()
  if not member then return end
  if redis.call('ZADD', KEYS[4], 'NX', now, member) == 0 then return end
  local waitMs = tonumber(ARGV[6])
  if redis.call('PTTL', KEYS[4]) < waitMs then redis.call('PEXPIRE', KEYS[4], waitMs + TOLERANCE) end
end

-- A permit reserved for this waiter by a release is its to take.
local reserved = waiterId and redis.call('ZREM', KEYS[1], '~' .. waiterId) == 1
local live = redis.call('ZCARD', KEYS[1])
if reserved then
  live = 0 -- the slot was held for us: take it whatever the count says
  if redis.call('HGET', KEYS[2], 'permits') == false then
    redis.call('HSET', KEYS[2], 'key', key, 'permits', permits)
  end
elseif live > 0 then
  local agreed = redis.call('HMGET', KEYS[2], 'key', 'permits')
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local remaining = math.max(0, tonumber(first[2]) + TOLERANCE - now)
  if agreed[1] ~= key then return {2, remaining} end
  if tonumber(agreed[2]) ~= permits then return {3, tonumber(agreed[2])} end
  if live >= permits then
    enqueue()
    local fence = redis.call('HGET', KEYS[2], first[1])
    if not fence then return {2, remaining} end -- a reservation expires first
    return {0, fence, remaining}
  end
else
  -- Nobody holds a permit: what the last holders agreed on is forgotten.
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[2], 'key', key, 'permits', permits)
end

local fence = redis.call('INCR', KEYS[3])
if fence > MAX_FENCE then
  redis.call('DECR', KEYS[3])
  return {-1}
end
local expiresAt = now + ttl
redis.call('ZADD', KEYS[1], expiresAt, lockId)
redis.call('HSET', KEYS[2], lockId, int(fence))
local latest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local until_ = tonumber(latest[2]) + TOLERANCE
redis.call('PEXPIREAT', KEYS[1], until_)
redis.call('PEXPIREAT', KEYS[2], until_)
if member then redis.call('ZREM', KEYS[4], member) end
return {1, fence, expiresAt}
