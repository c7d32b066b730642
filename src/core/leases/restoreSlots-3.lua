--[[
  Recreates or refreshes the leases of calls known (from Postgres) to be in flight, ignoring
  limits: those calls are already placed, so their slots are taken whether or not Redis
  remembered it. The reconciler runs this for every open attempt, which both rebuilds leases after
  Redis lost its data and keeps a long-queued or long-running call's lease from expiring (expiry
  only ever moves forward here).

  Input:
    KEYS[1] org lease set
    KEYS[2] batch lease set
    KEYS[3] system lease set

    ARGV[1] lease ttl in ms
    ARGV[2] orgId
    ARGV[3] batchId
    ARGV[4..] attempt ids

  Output:
    the number of attempts that had no batch lease and got one
]]
local t = redis.call('TIME')
local expiry = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
local prefix = ARGV[2] .. '|' .. ARGV[3] .. '|'
local restored = 0
for j = 4, #ARGV do
  local id = ARGV[j]
  if not redis.call('ZSCORE', KEYS[2], id) then restored = restored + 1 end
  redis.call('ZADD', KEYS[1], 'GT', expiry, id)
  redis.call('ZADD', KEYS[2], 'GT', expiry, id)
  redis.call('ZADD', KEYS[3], 'GT', expiry, prefix .. id)
end
return restored
