--[[
  Pushes back the expiry of leases an attempt still holds (a long call). Never creates a lease:
  an attempt whose lease already expired or was released stays without one.

  Input:
    KEYS[1] org lease set
    KEYS[2] batch lease set
    KEYS[3] system lease set

    ARGV[1] new ttl in ms, from now
    ARGV[2] orgId
    ARGV[3] batchId
    ARGV[4] attemptId

  Output:
    1 when the attempt held a batch lease and it was extended, else 0
]]
local id = ARGV[4]
if not redis.call('ZSCORE', KEYS[2], id) then return 0 end
local t = redis.call('TIME')
local expiry = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
redis.call('ZADD', KEYS[1], 'XX', expiry, id)
redis.call('ZADD', KEYS[2], 'XX', expiry, id)
redis.call('ZADD', KEYS[3], 'XX', expiry, ARGV[2] .. '|' .. ARGV[3] .. '|' .. id)
return 1
