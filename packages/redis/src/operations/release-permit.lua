-- KEYS: the semaphore's permits, its holders, its wait queue. ARGV: lockId, the semaphore's
-- release channel.
-- Returns 1 released | 2 released, and a waiter heard it | 0 not held by this lockId (or expired).
-- With waiters queued, the freed permit is reserved for the oldest one still within its budget
-- (a member '~waiterId' of the permits, live for HANDOFF_WINDOW_MS) and the announcement names
-- it, so only that waiter hurries and newcomers cannot take the permit first (fair hand-off, as
-- the lock's release does).
local expiresAt = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not expiresAt then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
local time = redis.call('TIME')
local now = time[1] * 1000 + math.floor(time[2] / 1000)
if tonumber(expiresAt) + TOLERANCE <= now then return 0 end
local head
for _ = 1, MAX_QUEUE_POPS do
  local popped = redis.call('ZPOPMIN', KEYS[3])
  if not popped[1] then break end
  local budget = tonumber(string.match(popped[1], ':(%d+)$')) or 0
  if tonumber(popped[2]) + budget > now then
    head = popped[1]
    break
  end
end
local message = 'released'
if head then
  -- Live until now + HANDOFF_WINDOW_MS (a member is live while its score + TOLERANCE is ahead).
  redis.call('ZADD', KEYS[1], now + HANDOFF_WINDOW_MS - TOLERANCE, '~' .. string.match(head, '^(.*):%d+$'))
  message = head
elseif redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2])
end
if redis.call(PUBLISH_COMMAND, ARGV[2], message) > 0 then return 2 end
return 1
