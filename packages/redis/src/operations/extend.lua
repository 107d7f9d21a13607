-- KEYS: the lock record. ARGV: lockId, ttlMs.
-- Returns {1, expiresAtMs} | {0} not held by this lockId (an expired record is gone: extend never
-- resurrects). The new expiry replaces the old one: now + ttl by the server clock.
local record = redis.call('GET', KEYS[1])
if not record or recordOwner(record) ~= ARGV[1] then return {0} end
local expiresAt = serverNow() + tonumber(ARGV[2])
redis.call('SET', KEYS[1], withExpiry(record, expiresAt), 'PXAT', expiresAt + TOLERANCE)
return {1, expiresAt}
