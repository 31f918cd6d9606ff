-- An agent leaving (departures.ts).
-- ARGV: agentId, comma-separated ids of interactions that stay with the agent (live calls). The
-- agent leaves (logout, forced logout, deactivation, last session gone): their pending offer is
-- withdrawn; what they own goes back to its queue at its old place (original score and queuedAt,
-- so ahead of newer arrivals and with the relaxation it had earned), except live calls; in a
-- conference the other agent keeps the interaction; their wrap-ups end.
local a, keepList = ARGV[5], ARGV[6]
local keep = {}
for id in string.gmatch(keepList, '[^,]+') do keep[id] = true end
local result = { withdrawn = {}, requeued = {}, kept = {}, handed = {}, guestLeft = {} }
-- Logged out first: the steps below then cannot settle the agent into Available or Busy.
local st = redis.call('HGET', skey(a), 'state')
if not empty(st) and st ~= 'logged-out' then setstate(a, 'logged-out', nil) end
local oid = redis.call('HGET', akey(a), 'offer')
if not empty(oid) then
  local o = hgetall(okey(oid))
  if o.state == 'pending' then table.insert(result.withdrawn, decline(oid, o, 'withdrawn')) end
end
for _, m in ipairs(redis.call('SMEMBERS', akey(a)..':wrap')) do end_wrap(m) end
for _, iid in ipairs(redis.call('SMEMBERS', intskey(a))) do
  local i = hgetall(ikey(iid))
  if i.state ~= 'assigned' and i.state ~= 'conference' then
    redis.call('SREM', intskey(a), iid)
  elseif i.conf == a then
    release(a, i.channel)
    redis.call('SREM', intskey(a), iid)
    redis.call('HSET', ikey(iid), 'state', 'assigned', 'conf', '')
    table.insert(result.guestLeft, { interactionId = iid, owner = i.owner, channel = i.channel })
  elseif i.owner == a then
    -- A transfer or invitation the agent made is withdrawn: nobody would be left to hand over from.
    if not empty(i.pending) then
      local o = hgetall(okey(i.pending))
      if o.state == 'pending' then table.insert(result.withdrawn, decline(i.pending, o, 'withdrawn')) end
    end
    if i.state == 'conference' and not empty(i.conf) then
      -- The guest already holds a slot for it, which now counts as the owner's.
      release(a, i.channel)
      redis.call('SREM', intskey(a), iid)
      redis.call('HSET', ikey(iid), 'state', 'assigned', 'owner', i.conf, 'conf', '')
      settle(i.conf)
      table.insert(result.handed, { interactionId = iid, to = i.conf, channel = i.channel })
    elseif keep[iid] then
      table.insert(result.kept, iid)
    else
      release(a, i.channel)
      redis.call('SREM', intskey(a), iid)
      redis.call('DEL', skipkey(iid))
      redis.call('HSET', ikey(iid), 'state', 'queued', 'owner', '', 'offer', '')
      redis.call('ZADD', qkey(i.queue), i.score, iid)
      fixhead(i.queue)
      -- A fresh max-wait window: the customer was being served until now.
      local maxWait = num(redis.call('HGET', qckey(i.queue), 'maxWaitMs'))
      if maxWait > 0 then redis.call('ZADD', MAXWAIT, NOW + maxWait, iid) end
      table.insert(result.requeued, { interactionId = iid, queueId = i.queue, channel = i.channel })
    end
  end
end
refresh(a)
result.wasLoggedIn = not empty(st) and st ~= 'logged-out'
return reply(result)
