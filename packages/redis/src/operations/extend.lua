-- KEYS: the lock record. ARGV: lockId, ttlMs.
-- Returns the new expiresAtMs | 0 not held by this lockId (an expired record is gone: extend never
-- resurrects). The new expiry replaces the old one: now + ttl by the server clock.
local record = redis.call('GET', KEYS[1])
if not record or string.sub(record, 1, LOCK_ID_LENGTH) ~= ARGV[1] then return 0 end

--@record

local expiresAt = serverNow() + tonumber(ARGV[2])
redis.call('SET', KEYS[1], withExpiry(record, expiresAt), 'PXAT', expiresAt + TOLERANCE)
return expiresAt
