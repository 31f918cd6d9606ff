-- The PBX picked the agent: a call its queue handed to an agent's extension becomes that agent's
-- work without an offer.
-- ARGV: iid, agentId, queue ('' = none), channel, website. The interaction becomes the agent's
-- (their load for the channel, Busy). One our routing never saw is taken in as assigned; one
-- waiting in a queue here leaves it; one another agent holds moves to this one (the PBX
-- transferred the call), freeing the other. An offer or transfer pending on it is withdrawn.
local iid, a, q, ch, website = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local i = hgetall(ikey(iid))
local result = { interactionId = iid, agentId = a, channel = ch, previous = i.state or '', from = '' }
if i.state == 'closed' or i.state == 'abandoned' or i.state == 'unmanaged' then return reply({ error = 'finished', state = i.state }) end
if (i.state == 'assigned' or i.state == 'conference') and i.owner == a then return reply({ error = 'already', state = i.state }) end
if i.state == 'offered' and not empty(i.offer) then
  local o = hgetall(okey(i.offer))
  if o.state == 'pending' then result.withdrawn = decline(i.offer, o, 'withdrawn') end
end
if not empty(i.pending) then
  local o = hgetall(okey(i.pending))
  if o.state == 'pending' then result.withdrawn = decline(i.pending, o, 'withdrawn') end
end
if i.state then
  ch = i.channel
  redis.call('ZREM', qkey(i.queue), iid)
  fixhead(i.queue)
  redis.call('ZREM', MAXWAIT, iid)
  if not empty(i.owner) then
    result.from = i.owner
    redis.call('SREM', intskey(i.owner), iid)
    release(i.owner, ch)
    settle(i.owner)
  end
  if not empty(i.conf) then
    release(i.conf, ch)
    redis.call('SREM', intskey(i.conf), iid)
    settle(i.conf)
  end
else
  redis.call('HSET', ikey(iid), 'queue', q, 'channel', ch, 'score', 0, 'queuedAt', NOW, 'website', website, 'wkey', '')
  redis.call('SADD', LIVE, iid)
end
redis.call('HSET', ikey(iid), 'state', 'assigned', 'owner', a, 'offer', '', 'pending', '', 'pendingKind', '', 'pendingAgent', '', 'conf', '', 'assignedAt', NOW)
redis.call('SADD', intskey(a), iid)
reserve(a, ch)
settle(a)
return reply(result)
