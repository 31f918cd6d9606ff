-- ARGV: offerId, agentId.
local oid, a = ARGV[5], ARGV[6]
local o = hgetall(okey(oid))
if not o.interaction then return reply({ error = 'not_found' }) end
if o.agent ~= a then return reply({ error = 'not_yours' }) end
if o.state ~= 'pending' then return reply({ error = 'closed', state = o.state }) end
local iid, ch = o.interaction, o.channel
local i = hgetall(ikey(iid))
redis.call('HSET', okey(oid), 'state', 'accepted')
redis.call('EXPIRE', okey(oid), DAY)
redis.call('ZREM', DEADLINES, oid)
redis.call('HSET', akey(a), 'offer', '', 'missed', 0)
local result = { offerId = oid, agentId = a, interactionId = iid, kind = o.kind, from = o.from, queueId = i.queue, channel = ch }
if o.kind == 'route' then
  redis.call('HSET', ikey(iid), 'state', 'assigned', 'owner', a, 'offer', '', 'assignedAt', NOW)
  redis.call('ZREM', MAXWAIT, iid)
  local waited = NOW - num(i.queuedAt)
  local avg = num(redis.call('HGET', P..'routing:stats:'..i.queue, 'avgWaitMs'))
  redis.call('HSET', P..'routing:stats:'..i.queue, 'avgWaitMs', avg == 0 and waited or math.floor(avg * 0.8 + waited * 0.2))
  result.waitedMs = waited
elseif o.kind == 'transfer' then
  local prev = i.owner
  redis.call('HSET', ikey(iid), 'owner', a, 'pending', '', 'pendingKind', '', 'pendingAgent', '')
  redis.call('SREM', intskey(prev), iid)
  release(prev, ch)
  settle(prev)
else
  redis.call('HSET', ikey(iid), 'state', 'conference', 'conf', a, 'pending', '', 'pendingKind', '', 'pendingAgent', '')
end
redis.call('SADD', intskey(a), iid)
settle(a)
result.seen = redis.call('SMEMBERS', ikey(iid)..':seen')
local live = redis.call('HMGET', ikey(iid), 'conf', 'pendingKind', 'pendingAgent')
result.live = { conf = live[1] or '', pendingKind = live[2] or '', pendingAgent = live[3] or '' }
return reply(result)
