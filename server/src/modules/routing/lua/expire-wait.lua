-- ARGV: interactionId. Waited longer than its queue's maxWaitSeconds: it moves to the queue's
-- overflow queue (at its old place by priority and age, a fresh max-wait there; at most
-- MAX_OVERFLOWS hops, so a ring of queues cannot keep it forever), or else leaves the queue as
-- unmanaged. While an offer is pending it is left alone (the sweep comes back after the offer).
-- queuedAt stays: the wait is the customer's, counted from their first entry (the supervisor's
-- longest wait, the relaxation it has earned, MySQL's queuedAt and a rebuild all agree).
local iid = ARGV[5]
local i = hgetall(ikey(iid))
if i.state == 'offered' then return reply({ error = 'offered' }) end
redis.call('ZREM', MAXWAIT, iid)
if i.state ~= 'queued' then return reply({ error = 'finished', state = i.state or '' }) end
redis.call('ZREM', qkey(i.queue), iid)
fixhead(i.queue)
local target = redis.call('HGET', qckey(i.queue), 'overflow')
local hops = num(i.overflows)
if not empty(target) and hops < 3 then
  redis.call('HSET', ikey(iid), 'queue', target, 'overflows', hops + 1)
  redis.call('ZADD', qkey(target), i.score, iid)
  fixhead(target)
  local maxWait = num(redis.call('HGET', qckey(target), 'maxWaitMs'))
  if maxWait > 0 then redis.call('ZADD', MAXWAIT, NOW + maxWait, iid) end
  return reply({ interactionId = iid, channel = i.channel, queueId = i.queue, overflowTo = target,
    position = redis.call('ZRANK', qkey(target), iid) + 1, waitedMs = NOW - num(i.queuedAt) })
end
redis.call('SREM', LIVE, iid)
if not empty(i.wkey) then redis.call('SREM', i.wkey, iid) end
redis.call('HSET', ikey(iid), 'state', 'unmanaged')
for _, k in ipairs({ ikey(iid), ikey(iid)..':seen', skipkey(iid) }) do redis.call('EXPIRE', k, DAY) end
return reply({ interactionId = iid, channel = i.channel, queueId = i.queue, waitedMs = NOW - num(i.queuedAt) })
