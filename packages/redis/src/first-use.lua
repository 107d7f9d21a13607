-- KEYS: any key of the caller's (it routes the call to the node that will hold its locks).
-- ARGV: '1' to read the node's INFO memory too (the eviction policy check), else '0'.
-- Returns {version, INFO memory or false, INFO cluster or false}. Redis 7.0 and later tell
-- scripts their version; an older server does not, and the version comes back as its INFO server
-- text (false when INFO is refused), so the caller can name it. INFO cluster says whether the
-- node belongs to a Redis Cluster (false when refused). Nothing here needs more than Redis 2.6.
local version = redis.REDIS_VERSION
if not version then
  local info = redis.pcall('INFO', 'server')
  version = type(info) == 'string' and info or false
end
local memory = false
if ARGV[1] == '1' then
  local info = redis.pcall('INFO', 'memory')
  if type(info) == 'string' then memory = info end
end
local cluster = redis.pcall('INFO', 'cluster')
if type(cluster) ~= 'string' then cluster = false end
return {version, memory, cluster}
