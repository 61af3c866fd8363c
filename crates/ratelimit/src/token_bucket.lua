-- One check of a token bucket shared by every replica, run atomically by Redis.
--
-- KEYS[1]  the bucket: a hash with fields "level" (ticks) and "ts" (microseconds).
-- ARGV[1]  tokens per minute: the bucket size and the refill rate.
-- ARGV[2]  the time in microseconds, or "" to read this server's clock. Replicas must agree on
--          time, so in service this is always "" and Redis's TIME is the only clock.
--
-- One token is 60,000,000 ticks and a bucket gains ARGV[1] ticks per microsecond (see
-- bucket.rs): every value is an integer below 2^53, exact in Lua's doubles.
-- Returns {allowed (1 or 0), level after this check}.

local per_minute = tonumber(ARGV[1])
local ticks_per_token = 60000000
local capacity = per_minute * ticks_per_token

-- Redis 3.2-4 replicate scripts verbatim unless told otherwise, which forbids writing after
-- the non-deterministic TIME; from Redis 5 on this is the default and the call is a no-op.
if redis.replicate_commands then
  redis.replicate_commands()
end

local now
if ARGV[2] ~= nil and ARGV[2] ~= '' then
  now = tonumber(ARGV[2])
else
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000000 + tonumber(time[2])
end

local stored = redis.call('HMGET', KEYS[1], 'level', 'ts')
local level = tonumber(stored[1])
local updated = tonumber(stored[2])
if level == nil or updated == nil then
  -- Unknown or expired: a bucket nobody used for a minute is full.
  level = capacity
  updated = now
end
if level > capacity then
  -- The quota was lowered since this bucket was written.
  level = capacity
end
if now > updated then
  -- A minute refills any bucket; capping first keeps the product exact.
  local elapsed = math.min(now - updated, ticks_per_token)
  level = math.min(capacity, level + elapsed * per_minute)
  updated = now
end

local allowed = 0
if level >= ticks_per_token then
  level = level - ticks_per_token
  allowed = 1
end

redis.call('HSET', KEYS[1], 'level', string.format('%.0f', level), 'ts', string.format('%.0f', updated))
-- Once full again the bucket carries no information, so it may expire then (+1 ms for rounding).
local micros_to_full = math.ceil((capacity - level) / per_minute)
redis.call('PEXPIRE', KEYS[1], math.floor(micros_to_full / 1000) + 1)
return {allowed, level}
