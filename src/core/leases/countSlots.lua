--[[
  Drops expired leases and counts the live ones, for any number of lease sets at once (the
  scheduler reads the system set, every org set and every batch set in one round trip). Also
  reports whether the lease sets are known complete: the reconciler sets that marker after
  rebuilding leases from Postgres, so after Redis lost its data (the marker with it) admission
  waits for the rebuild instead of trusting empty sets.

  Input:
    KEYS[1] "leases rebuilt" marker
    KEYS[2..n] lease sets

  Output:
    an array: 1 or 0 (marker present), then n-1 live-lease counts in KEYS order
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = { redis.call('EXISTS', KEYS[1]) }
for i = 2, #KEYS do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  out[i] = redis.call('ZCARD', KEYS[i])
end
return out
