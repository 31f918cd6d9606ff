-- ARGV: agentId, comma-separated queue ids, then field/value pairs (cap:*, sk:*): the agent's
-- routing profile, and their place in the ranking of every queue and relaxation step.
local a, queues = ARGV[5], ARGV[6]
for _, f in ipairs(redis.call('HKEYS', akey(a))) do
  if string.sub(f, 1, 3) == 'sk:' or string.sub(f, 1, 4) == 'cap:' then redis.call('HDEL', akey(a), f) end
end
for n = 7, #ARGV, 2 do redis.call('HSET', akey(a), ARGV[n], ARGV[n + 1]) end
if not redis.call('HGET', akey(a), 'idle') then redis.call('HSET', akey(a), 'idle', NOW) end
redis.call('ZADD', IDLE, num(redis.call('HGET', akey(a), 'idle')), a)
-- The refresh below writes the agent's place among the free agents by idle time afresh.
idled[a] = true
-- The agent's entries ('queue|step') are remembered so a new profile can remove them.
for _, m in ipairs(redis.call('SMEMBERS', akey(a)..':idx')) do
  local q, step = string.match(m, '([^|]+)|(%d+)')
  redis.call('ZREM', rankkey(q, step), a)
end
redis.call('DEL', akey(a)..':idx', akey(a)..':qmin')
for q in string.gmatch(queues, '[^,]+') do
  local cfg = hgetall(qckey(q))
  if cfg.channel and num(redis.call('HGET', akey(a), 'cap:'..cfg.channel)) > 0 then
    local skills = parse_skills(cfg.skills)
    local levels, sum = {}, 0
    for k, sk in ipairs(skills) do
      levels[k] = num(redis.call('HGET', akey(a), 'sk:'..sk.name))
      sum = sum + levels[k]
    end
    local steps = { { drop = 0, any = false } }
    local drop, any = 0, false
    for _, d, anyflag in string.gmatch(cfg.relax or '', '(%d+):(%d+):(%d)') do
      drop = math.max(drop, tonumber(d))
      any = any or anyflag == '1'
      table.insert(steps, { drop = drop, any = any })
    end
    local first = nil
    for n, st in ipairs(steps) do
      local ok = st.any
      if not ok then
        ok = true
        for k, sk in ipairs(skills) do
          if levels[k] < math.max(1, sk.level - st.drop) then ok = false break end
        end
      end
      if ok then
        redis.call('SADD', akey(a)..':idx', q..'|'..(n - 1))
        redis.call('ZADD', rankkey(q, n - 1), -sum * 1e13, a)
        first = first or (n - 1)
      end
    end
    -- for ROUTE_AGENT: the earliest step at which the agent may take this queue, and its channel
    if first then redis.call('HSET', akey(a)..':qmin', q, first..'|'..cfg.channel) end
  end
end
refresh(a)
return reply({})
