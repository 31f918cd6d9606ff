-- ARGV: queues (JSON list of { id, channel, skills = {{skill, level}...}, drop, any, allowCall }) →
-- per queue, in that order: its online agents who could ever take it by state, those of them who
-- could take one more of it now, and the offers pending for it. The supervisors' view, pushed
-- every two seconds: one call whatever the number of agents, not two reads per agent.
local queues = cjson.decode(ARGV[5])
local out, offered = {}, {}
for n = 1, #queues do out[n] = { agents = {}, available = 0 } end
for _, a in ipairs(redis.call('SMEMBERS', ONLINE)) do
  local h = hgetall(akey(a))
  local st = redis.call('HGET', skey(a), 'state') or 'logged-out'
  if not empty(h.offer) then
    local oq = redis.call('HGET', okey(h.offer), 'queue')
    if not empty(oq) then offered[oq] = (offered[oq] or 0) + 1 end
  end
  local onCall = num(h['load:phone']) + num(h['load:video']) > 0
  for n, q in ipairs(queues) do
    local cap = num(h['cap:'..q.channel])
    local eligible = cap > 0
    if eligible and not q.any then
      for _, s in ipairs(q.skills) do
        if num(h['sk:'..s[1]]) < math.max(1, s[2] - q.drop) then eligible = false break end
      end
    end
    if eligible then
      local r = out[n]
      r.agents[st] = (r.agents[st] or 0) + 1
      local media = q.channel == 'phone' or q.channel == 'video'
      if (st == 'available' or st == 'busy') and empty(h.offer) and not (onCall and not q.allowCall and not media)
        and num(h['load:'..q.channel]) < cap and num(h['load:total']) < num(h['cap:total']) then
        r.available = r.available + 1
      end
    end
  end
end
for n, q in ipairs(queues) do out[n].offered = offered[q.id] or 0 end
return reply({ queues = out })
