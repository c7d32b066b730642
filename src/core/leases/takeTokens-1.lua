--[[
  Token bucket for a SIP trunk's calls-per-second limit: refills at `rate` tokens a second up to
  `burst`, then grants up to `requested` whole tokens (possibly fewer, possibly none). A negative
  `requested` gives tokens back (admission took more than it used), never above `burst`.

  Input:
    KEYS[1] bucket (hash: tokens, ts)

    ARGV[1] rate, tokens per second
    ARGV[2] burst, the bucket's capacity
    ARGV[3] requested (negative = refund)

  Output:
    the number of tokens granted (0 for a refund)
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local requested = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
local granted = 0
if requested < 0 then
  tokens = math.min(burst, tokens - requested)
else
  granted = math.min(requested, math.floor(tokens))
  tokens = tokens - granted
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
-- An idle bucket is full again after burst/rate seconds: let it vanish then.
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return granted
