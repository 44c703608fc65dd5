-- One rate-limit decision, atomically: takes `cost` from every limit, or from none.
-- The same arithmetic as LocalBudgetStore; times are microseconds from the gateway's clock.
-- KEYS[1]: the upstream hold (a string: held until). KEYS[2..]: one per limit.
-- ARGV: now, cost, buckets, then per limit three values: kind ('r' or 'q'), a, b
--   'r' rate (GCRA; the key holds the theoretical arrival time): a = interval per request, b = burst
--   'q' rolling window (the key is a hash, bucket index -> count): a = quota, b = bucket length
-- Returns {refused, retryAfter, remaining1, reset1, remaining2, reset2, ...};
-- refused is 0 (allowed), 1 (the hold) or 1 + i (limit i); retryAfter -1 means never.
local now, cost, buckets = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local refused, retry_after = 0, 0
local hold = tonumber(redis.call('GET', KEYS[1]) or '0')
if hold > now then refused, retry_after = 1, hold - now end

local function refuse(i, wait)
  if refused == 0 and wait ~= 0 then refused, retry_after = 1 + i, wait end
end

-- Judge every limit first.
local state = {}
for i = 1, #KEYS - 1 do
  local kind, a, b = ARGV[1 + 3 * i], tonumber(ARGV[2 + 3 * i]), tonumber(ARGV[3 + 3 * i])
  local key = KEYS[1 + i]
  if kind == 'r' then
    local tat = math.max(tonumber(redis.call('GET', key) or '0'), now)
    state[i] = {tat = tat}
    if cost > b then refuse(i, -1) else refuse(i, math.max(0, tat + cost * a - now - b * a)) end
  else
    local current = math.floor(now / b)
    local oldest = current - buckets
    local counts, total, stale = {}, 0, {}
    local fields = redis.call('HGETALL', key)
    for f = 1, #fields, 2 do
      local bucket, n = tonumber(fields[f]), tonumber(fields[f + 1])
      if bucket >= oldest then counts[bucket] = n; total = total + n else stale[#stale + 1] = fields[f] end
    end
    if #stale > 0 then redis.call('HDEL', key, unpack(stale)) end
    state[i] = {counts = counts, total = total, current = current, oldest = oldest}
    if cost > a then
      refuse(i, -1)
    else
      local need = total + cost - a
      for bucket = oldest, current do
        if need <= 0 then break end
        need = need - (counts[bucket] or 0)
        if need <= 0 then refuse(i, (bucket + buckets + 1) * b - now) end
      end
    end
  end
end

-- Then spend, if all agreed, and report what is left.
local out = {refused, retry_after}
for i = 1, #KEYS - 1 do
  local kind, a, b = ARGV[1 + 3 * i], tonumber(ARGV[2 + 3 * i]), tonumber(ARGV[3 + 3 * i])
  local key, s = KEYS[1 + i], state[i]
  if kind == 'r' then
    local tat = tonumber(redis.call('GET', key) or '0')
    if refused == 0 then
      tat = s.tat + cost * a
      redis.call('SET', key, string.format('%d', tat), 'PX', math.ceil((tat - now) / 1000) + 1)
    end
    local ahead = math.max(0, tat - now)
    out[#out + 1] = math.floor((b * a - ahead) / a)
    out[#out + 1] = ahead
  else
    if refused == 0 then
      redis.call('HINCRBY', key, string.format('%d', s.current), cost)
      redis.call('PEXPIRE', key, math.ceil((buckets + 1) * b / 1000))
      s.counts[s.current] = (s.counts[s.current] or 0) + cost
      s.total = s.total + cost
    end
    local reset = 0
    for bucket = s.oldest, s.current do
      if (s.counts[bucket] or 0) > 0 then reset = (bucket + buckets + 1) * b - now; break end
    end
    out[#out + 1] = a - s.total
    out[#out + 1] = reset
  end
end
return out
