-- KEYS: any key of the caller's (it routes the call to the node that will hold its locks).
-- Returns the node's INFO memory section: maxmemory and maxmemory_policy.
return redis.call('INFO', 'memory')
