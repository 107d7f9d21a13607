-- KEYS: the semaphore's permits, its holders. ARGV: lockId, ttlMs.
-- Returns the new expiresAtMs | 0 not held by this lockId (an expired permit is never renewed).
-- The new expiry replaces the old one: now + ttl by the server clock.
local expiresAt = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not expiresAt then return 0 end
local time = redis.call('TIME')
local now = time[1] * 1000 + math.floor(time[2] / 1000)
if tonumber(expiresAt) + TOLERANCE <= now then return 0 end
local renewed = now + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], 'XX', renewed, ARGV[1])
local latest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local until_ = tonumber(latest[2]) + TOLERANCE
redis.call('PEXPIREAT', KEYS[1], until_)
redis.call('PEXPIREAT', KEYS[2], until_)
return renewed
