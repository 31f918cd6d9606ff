-- ARGV: interactionId, agentId ('' = the channel or the system), wrapMs, finalState (closed|abandoned),
-- and 'held' for a call's end: it closes only what an agent holds, it abandons nothing waiting.
-- Queued or offered → abandoned; assigned → closed, the owner keeps the slot for wrap-up.
local iid, a, wrapMs, final, heldOnly = ARGV[5], ARGV[6], tonumber(ARGV[7]), ARGV[8], ARGV[9] == 'held'
local i = hgetall(ikey(iid))
if not i.state then return reply({ error = 'not_found' }) end
if heldOnly and i.state ~= 'assigned' and i.state ~= 'conference' then return reply({ error = 'not_held', state = i.state }) end
if a ~= '' and i.owner ~= a then return reply({ error = i.conf == a and 'not_owner' or 'not_yours', state = i.state }) end
local result = { interactionId = iid, channel = i.channel, queueId = i.queue, previous = i.state, owner = i.owner, conf = i.conf }
if i.state == 'queued' or i.state == 'offered' then
  if a ~= '' then return reply({ error = 'not_yours', state = i.state }) end
  redis.call('ZREM', qkey(i.queue), iid)
  fixhead(i.queue)
  if not empty(i.offer) then
    local o = hgetall(okey(i.offer))
    if o.state == 'pending' then result.withdrawn = decline(i.offer, o, 'withdrawn') end
  end
  result.state = 'abandoned'
elseif i.state == 'assigned' or i.state == 'conference' then
  if not empty(i.pending) then
    local o = hgetall(okey(i.pending))
    if o.state == 'pending' then result.withdrawn = decline(i.pending, o, 'withdrawn') end
  end
  if not empty(i.conf) then
    release(i.conf, i.channel)
    redis.call('SREM', intskey(i.conf), iid)
    settle(i.conf)
  end
  redis.call('SREM', intskey(i.owner), iid)
  -- An owner who logged out during a call has no after-work to do here.
  local wrap = wrapMs > 0
  if wrap then
    local ownerState = redis.call('HGET', skey(i.owner), 'state')
    wrap = not empty(ownerState) and ownerState ~= 'logged-out'
  end
  if wrap then
    local member = i.owner..'|'..iid..'|'..i.channel
    redis.call('ZADD', WRAP, NOW + wrapMs, member)
    redis.call('SADD', akey(i.owner)..':wrap', member)
    redis.call('HINCRBY', akey(i.owner), 'wrapping', 1)
    result.wrapUntil = NOW + wrapMs
  else
    release(i.owner, i.channel)
  end
  settle(i.owner)
  result.state = final
else
  return reply({ error = 'finished', state = i.state })
end
redis.call('SREM', LIVE, iid)
redis.call('ZREM', MAXWAIT, iid)
if not empty(i.wkey) then redis.call('SREM', i.wkey, iid) end
redis.call('HSET', ikey(iid), 'state', result.state, 'pending', '', 'pendingKind', '', 'pendingAgent', '', 'conf', '', 'offer', '')
for _, k in ipairs({ ikey(iid), ikey(iid)..':seen', skipkey(iid) }) do redis.call('EXPIRE', k, DAY) end
result.seen = redis.call('SMEMBERS', ikey(iid)..':seen')
return reply(result)
