-- The hand-off of a freed permit (release-permit.lua, withdraw-permit.lua). KEYS[1] is the
-- semaphore's permits, KEYS[3] its wait queue (members 'waiterId:budgetMs', scored by arrival).

-- Reserves the freed permit for the oldest waiter still within its budget: a member '~waiterId'
-- of the permits, live until now + HANDOFF_WINDOW_MS (a member is live while its score +
-- TOLERANCE is ahead), so only that waiter can take it. Lapsed waiters met on the way leave the
-- queue. Returns the waiter's queue member (the announcement names it), or nil if none waits.
local function reserveForOldest(now)
  for _ = 1, MAX_QUEUE_POPS do
    local popped = redis.call('ZPOPMIN', KEYS[3])
    if not popped[1] then return nil end
    local budget = tonumber(string.match(popped[1], ':(%d+)$')) or 0
    if tonumber(popped[2]) + budget > now then
      local waiter = string.match(popped[1], '^(.*):%d+$')
      redis.call('ZADD', KEYS[1], now + HANDOFF_WINDOW_MS - TOLERANCE, '~' .. waiter)
      return popped[1]
    end
  end
  return nil
end
