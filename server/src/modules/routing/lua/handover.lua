-- ARGV: interactionId, agentId (owner), mode (queue|back|agent|conference), target, score|timeoutMs.
-- To a queue: the owner lets go and it is routed again. Back: the owner could not take it after
-- all (their phone refused the call): it goes back to its queue at its old place. To an agent or
-- a conference: an offer to that agent; the interaction stays with the owner until it is accepted.
local iid, a, mode, target, extra = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local i = hgetall(ikey(iid))
if not i.state then return reply({ error = 'not_found' }) end
if i.owner ~= a then return reply({ error = 'not_yours', state = i.state }) end
if not empty(i.pending) then return reply({ error = 'pending', state = i.state }) end
if mode == 'conference' then
  if i.state ~= 'assigned' then return reply({ error = 'state', state = i.state }) end
elseif i.state ~= 'assigned' then return reply({ error = 'in_conference', state = i.state }) end
if mode == 'queue' then
  release(a, i.channel)
  redis.call('SREM', intskey(a), iid)
  redis.call('DEL', skipkey(iid))
  redis.call('ZADD', skipkey(iid), FOREVER, a)
  redis.call('HSET', ikey(iid), 'state', 'queued', 'queue', target, 'owner', '', 'score', extra, 'queuedAt', NOW)
  redis.call('ZADD', qkey(target), extra, iid)
  fixhead(target)
  local maxWait = num(redis.call('HGET', qckey(target), 'maxWaitMs'))
  if maxWait > 0 then redis.call('ZADD', MAXWAIT, NOW + maxWait, iid) end
  settle(a)
  return reply({ interactionId = iid, position = redis.call('ZRANK', qkey(target), iid) + 1 })
end
if mode == 'back' then
  -- A call the PBX routed was never in a queue here: there is no place to go back to.
  if empty(i.queue) then return reply({ error = 'no_queue', state = i.state }) end
  -- As after a rejected offer: its original score and queuedAt (ahead of everything that arrived
  -- after it, with the relaxation its wait has earned, the rest of its max-wait window), and the
  -- agent passed over for the queue's cool-down.
  release(a, i.channel)
  redis.call('SREM', intskey(a), iid)
  local cfg = redis.call('HMGET', qckey(i.queue), 'cooldownMs', 'maxWaitMs')
  redis.call('ZADD', skipkey(iid), NOW + (cfg[1] and tonumber(cfg[1]) or 60000), a)
  redis.call('HSET', ikey(iid), 'state', 'queued', 'owner', '', 'offer', '')
  redis.call('ZADD', qkey(i.queue), i.score, iid)
  fixhead(i.queue)
  if num(cfg[2]) > 0 then redis.call('ZADD', MAXWAIT, math.max(NOW, num(i.queuedAt) + num(cfg[2])), iid) end
  settle(a)
  return reply({ interactionId = iid, queueId = i.queue, position = redis.call('ZRANK', qkey(i.queue), iid) + 1 })
end
if target == a then return reply({ error = 'self' }) end
local st = redis.call('HGET', skey(target), 'state')
if empty(st) or st == 'logged-out' then return reply({ error = 'target_logged_out' }) end
if st ~= 'available' and st ~= 'busy' then return reply({ error = 'target_unavailable', state = st }) end
local v = redis.call('HMGET', akey(target), 'offer', 'cap:'..i.channel, 'load:'..i.channel, 'cap:total', 'load:total')
if not empty(v[1]) or num(v[3]) >= num(v[2]) or num(v[5]) >= num(v[4]) then return reply({ error = 'target_full' }) end
i.queue = i.queue or ''
return reply(offer(iid, i, target, mode == 'agent' and 'transfer' or 'conference', a, tonumber(extra)))
