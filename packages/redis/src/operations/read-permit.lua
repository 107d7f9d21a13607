-- KEYS: the semaphore's permits (sorted set: lockId -> expiresAtMs), its holders (hash: lockId ->
-- fence, 'key', 'permits'). ARGV: the normalized key, or '' for whichever key they hold (a listing).
-- A pure read for operators (ADR-041): returns {key, agreed permits, lockId, expiresAtMs, fence,
-- ...} of the live permits, or {} when none is live or the names belong to another key with the
-- same tag. Reservations for waiters ('~waiterId' members, no fence) are not permits.
local agreed = redis.call('HMGET', KEYS[2], 'key', 'permits')
if not agreed[1] or (ARGV[1] ~= '' and agreed[1] ~= ARGV[1]) then return {} end
local time = redis.call('TIME')
local now = time[1] * 1000 + math.floor(time[2] / 1000)
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - TOLERANCE), '+inf', 'WITHSCORES')
local out = {agreed[1], tonumber(agreed[2])}
for i = 1, #live, 2 do
  local fence = redis.call('HGET', KEYS[2], live[i])
  if fence then
    out[#out + 1] = live[i]
    out[#out + 1] = live[i + 1]
    out[#out + 1] = fence
  end
end
if #out == 2 then return {} end
return out
