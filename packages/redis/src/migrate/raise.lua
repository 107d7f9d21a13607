-- KEYS[1]: a route's fence counter. ARGV[1]: the lowest value it may hold, a plain integer.
-- Raises the counter to ARGV[1] if it is lower; never lowers it. Returns 1 if raised, else 0.
-- One script per counter, so an acquire running at the same moment sees the counter before or
-- after the raise, never in between.
local current = redis.call('GET', KEYS[1])
local floor = tonumber(ARGV[1])
if current then
  local value = tonumber(current)
  if not value then return redis.error_reply('fence counter ' .. KEYS[1] .. ' is not an integer') end
  if value >= floor then return 0 end
end
-- Written as ARGV[1] itself: a plain integer string, the form INCR accepts.
redis.call('SET', KEYS[1], ARGV[1])
return 1
