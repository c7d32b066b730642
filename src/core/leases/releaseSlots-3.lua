--[[
  Gives back the org, batch and system slots of finished attempts. Idempotent: releasing an
  attempt that holds nothing changes nothing. When anything was freed, publishes on the wake
  channel so schedulers admit at once instead of waiting for their tick.

  Input:
    KEYS[1] org lease set
    KEYS[2] batch lease set
    KEYS[3] system lease set

    ARGV[1] wake channel
    ARGV[2] orgId
    ARGV[3] batchId
    ARGV[4..] attempt ids

  Output:
    the number of attempts whose slots were freed
]]
local prefix = ARGV[2] .. '|' .. ARGV[3] .. '|'
local freed = 0
for j = 4, #ARGV do
  local id = ARGV[j]
  local a = redis.call('ZREM', KEYS[1], id)
  local b = redis.call('ZREM', KEYS[2], id)
  local c = redis.call('ZREM', KEYS[3], prefix .. id)
  if a + b + c > 0 then freed = freed + 1 end
end
if freed > 0 then redis.call('PUBLISH', ARGV[1], ARGV[3]) end
return freed
