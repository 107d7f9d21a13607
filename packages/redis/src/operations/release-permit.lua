-- KEYS: the semaphore's permits, its holders. ARGV: lockId, the semaphore's release channel.
-- Returns 1 released | 2 released, and a waiter heard it | 0 not held by this lockId (or expired).
local expiresAt = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not expiresAt then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
local time = redis.call('TIME')
local now = time[1] * 1000 + math.floor(time[2] / 1000)
if tonumber(expiresAt) + TOLERANCE <= now then return 0 end
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('DEL', KEYS[2]) end
-- One permit came free: whoever listens tries again (core wakes its oldest waiter).
if redis.call(PUBLISH_COMMAND, ARGV[2], 'released') > 0 then return 2 end
return 1
