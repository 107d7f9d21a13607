-- KEYS: the lock record, the key's wait queue. ARGV: lockId.
-- Returns 1 released | 2 released, and a waiter heard it | 0 not held by this lockId (expired
-- records are gone).
-- The record is taken with GETDEL, the common case (our own lock) in one command; a value that is
-- not ours is written back at once with the expiry it carries, in the same script, so nobody ever
-- sees it missing. A lock nobody was turned away from needs nothing more: no queue, no
-- announcement. Otherwise the key is reserved for the oldest waiter still within its budget for
-- HANDOFF_WINDOW_MS, and the announcement names it, so only that waiter hurries (waiters are
-- served in arrival order). With nobody left in the queue the announcement says 'released' and
-- wakes whoever listens.
local record = redis.call('GETDEL', KEYS[1])
if not record then return 0 end
local ours = string.sub(record, 1, LOCK_ID_LENGTH) == ARGV[1]
-- Nobody waited (the flag at its fixed offset is '0'): done.
if ours and string.byte(record, WAITED_AT) == 48 then return 1 end

--@record

if not ours then
  local expiry = keyExpiryOf(record)
  if expiry then
    redis.call('SET', KEYS[1], record, 'PXAT', expiry)
  else
    -- A value SyncGuard did not write (or a reservation of an older version): keep it briefly.
    redis.call('SET', KEYS[1], record, 'PX', HANDOFF_WINDOW_MS)
  end
  return 0
end
local now = serverNow()
local head
-- Members are 'waiterId:budgetMs' scored by arrival: skip those whose budget has run out.
for _ = 1, MAX_QUEUE_POPS do
  local popped = redis.call('ZPOPMIN', KEYS[2])
  if not popped[1] then break end
  local budget = tonumber(string.match(popped[1], ':(%d+)$')) or 0
  if tonumber(popped[2]) + budget > now then
    head = popped[1]
    break
  end
end
local message = 'released'
if head then
  local untilMs = now + HANDOFF_WINDOW_MS
  redis.call('SET', KEYS[1], formatReservation(head, untilMs), 'PXAT', untilMs)
  message = head
end
if redis.call(PUBLISH_COMMAND, releaseChannel(KEYS[1]), message) > 0 then return 2 end
return 1
