-- KEYS: the resource, the key that records the last fence that wrote to it (same slot).
-- ARGV: the writer's fence (15 digits), the value, the value's TTL in ms or '' for none.
-- Returns {1} written | {0, last fence} refused: a newer holder has written already.
-- Fences are fixed-width decimal strings, so string order is number order.
local last = redis.call('GET', KEYS[2])
if last and last > ARGV[1] then return {0, last} end
if ARGV[3] ~= '' then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[2])
end
-- The record never expires: a stale holder must stay refused after the value is gone.
redis.call('SET', KEYS[2], ARGV[1])
return {1}
