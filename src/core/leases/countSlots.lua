--[[
  Drops expired leases and counts the live ones, for any number of lease sets at once (the
  scheduler reads the system set, every org set and every batch set in one round trip).

  Input:
    KEYS[1..n] lease sets

  Output:
    an array of n live-lease counts, in KEYS order
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for i = 1, #KEYS do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  out[i] = redis.call('ZCARD', KEYS[i])
end
return out
