-- KEYS: the semaphore's permits, its holders, its wait queue. ARGV: the waiter's queue member,
-- its id, the semaphore's release channel.
-- Takes a permit waiter that gave up out of the queue. If a permit is reserved for it right now,
-- the reservation goes to the next waiter in line (or is dropped and announced when none waits),
-- so nobody waits for it to lapse.
redis.call('ZREM', KEYS[3], ARGV[1])
if redis.call('ZREM', KEYS[1], '~' .. ARGV[2]) == 0 then return 0 end
local time = redis.call('TIME')
local now = time[1] * 1000 + math.floor(time[2] / 1000)

--@permit-queue

local head = reserveForOldest(now)
if not head and redis.call('ZCARD', KEYS[1]) == 0 then redis.call('DEL', KEYS[2]) end
redis.call(PUBLISH_COMMAND, ARGV[3], head or 'released')
return 1
