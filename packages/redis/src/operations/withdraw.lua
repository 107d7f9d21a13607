-- KEYS: the key's wait queue, the lock record. ARGV: the waiter's queue member.
-- Takes a waiter that gave up out of the queue. If the key is reserved for it right now, the
-- reservation is dropped and announced, so the next waiter need not wait for it to lapse.

--@record

redis.call('ZREM', KEYS[1], ARGV[1])
local current = redis.call('GET', KEYS[2])
if current and isReservation(current) and reservationFields(current) == ARGV[1] then
  redis.call('DEL', KEYS[2])
  redis.call(PUBLISH_COMMAND, releaseChannel(KEYS[2]), 'released')
end
return 1
