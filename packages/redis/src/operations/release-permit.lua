-- KEYS: the semaphore's permits, its holders, its wait queue. ARGV: lockId, the semaphore's
-- release channel.
-- Returns 1 released | 2 released, and a waiter heard it | 0 not held by this lockId (or expired).
-- With waiters queued, the freed permit is reserved for the oldest one still within its budget
-- (see permit-queue.lua) and the announcement names it, so only that waiter hurries and
-- newcomers cannot take the permit first (fair hand-off, as the lock's release does).
local expiresAt = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not expiresAt then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
local time = redis.call('TIME')
local now = time[1] * 1000 + math.floor(time[2] / 1000)
if tonumber(expiresAt) + TOLERANCE <= now then return 0 end

--@permit-queue

local head = reserveForOldest(now)
if not head and redis.call('ZCARD', KEYS[1]) == 0 then redis.call('DEL', KEYS[2]) end
if redis.call(PUBLISH_COMMAND, ARGV[2], head or 'released') > 0 then return 2 end
return 1
