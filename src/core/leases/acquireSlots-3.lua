--[[
  Takes one org slot, one batch slot and one system-wide slot for each attempt, in list order,
  stopping at the first attempt for which any of the three is full: all three slots or none.
  Expired leases are dropped first, so a crashed holder frees its slots when its lease expires.
  An attempt that already holds its slots is refreshed, not counted twice (a retried call).

  Input:
    KEYS[1] org lease set     (zset: attemptId -> expiry ms)
    KEYS[2] batch lease set   (zset: attemptId -> expiry ms)
    KEYS[3] system lease set  (zset: "orgId|batchId|attemptId" -> expiry ms)

    ARGV[1] lease ttl in ms
    ARGV[2] org limit
    ARGV[3] batch limit
    ARGV[4] system limit
    ARGV[5] orgId
    ARGV[6] batchId
    ARGV[7..] attempt ids

  Output:
    the number of attempts granted (always a prefix of the list)
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expiry = now + tonumber(ARGV[1])
local limits = { tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]) }
local free = nil
for i = 1, 3 do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  local left = limits[i] - redis.call('ZCARD', KEYS[i])
  if free == nil or left < free then free = left end
end
local prefix = ARGV[5] .. '|' .. ARGV[6] .. '|'
local granted = 0
for j = 7, #ARGV do
  local id = ARGV[j]
  local held = redis.call('ZSCORE', KEYS[2], id)
  if not held then
    if free <= 0 then break end
    free = free - 1
  end
  redis.call('ZADD', KEYS[1], expiry, id)
  redis.call('ZADD', KEYS[2], expiry, id)
  redis.call('ZADD', KEYS[3], expiry, prefix .. id)
  granted = granted + 1
end
return granted
