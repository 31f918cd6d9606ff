-- ARGV: agentId, state, reason. What an agent (or an administrator) asks for; Available becomes
-- Busy while work is in hand and ends wrap-up early; leaving Available withdraws a pending offer.
local a, st, reason = ARGV[5], ARGV[6], ARGV[7]
local result = {}
if st == 'available' then
  redis.call('HSET', akey(a), 'missed', 0)
  for _, m in ipairs(redis.call('SMEMBERS', akey(a)..':wrap')) do end_wrap(m) end
  local v = redis.call('HMGET', akey(a), 'load:total', 'offer')
  if num(v[1]) - (empty(v[2]) and 0 or 1) > 0 then st = 'busy' end
else
  local oid = redis.call('HGET', akey(a), 'offer')
  if not empty(oid) then
    local o = hgetall(okey(oid))
    if o.state == 'pending' then result.withdrawn = decline(oid, o, 'withdrawn') end
  end
end
setstate(a, st, reason)
refresh(a)
if st == 'available' or st == 'busy' then table.insert(freed, a) end
result.state = st
return reply(result)
