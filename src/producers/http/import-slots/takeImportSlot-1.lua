--[[
  Takes, or renews, one of an org's import slots. A slot is a lease scored by its expiry, so an
  API process that dies mid-import frees its slot when the lease runs out. Renewing a slot the
  caller still holds never counts against the limit.

  Input:
    KEYS[1] the org's import slot set  (zset: import id -> expiry ms)

    ARGV[1] lease ttl in ms
    ARGV[2] the org's limit
    ARGV[3] import id

  Output:
    1 when the caller holds the slot, 0 when every slot is taken
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[3]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
