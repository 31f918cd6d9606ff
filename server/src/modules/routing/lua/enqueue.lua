-- ARGV: iid, queueId, channel, score, website, licensedLimit, websiteLimit, liveSetOfWebsite,
-- agent it waits for ('' = none), until (ms) (preferred.lua), agents to pass over (comma-separated:
-- skipped for the queue's cool-down, as after a reject), route now ('1': offered at once to the
-- best free agent, as route-one.lua does, in the same round trip).
local iid, q, ch, score, website = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
-- The routing state is gone (routing:built missing): the caller has it rebuilt first.
if redis.call('EXISTS', P..'routing:built') == 0 then return reply({ error = 'lost' }) end
-- Queued once: not when it is (or was) in routing already — a queueing run again after its
-- instance died — nor when closed while it was being taken out of its hold (unhold.lua).
if redis.call('EXISTS', ikey(iid)) == 1 then return reply({ error = 'queued' }) end
if redis.call('EXISTS', ikey(iid)..':unheld') == 1 then return reply({ error = 'closed' }) end
local limit, wlimit, wkey = tonumber(ARGV[10]), tonumber(ARGV[11]), ARGV[12]
if redis.call('SCARD', LIVE) >= limit then return reply({ unmanaged = 'licensed-limit' }) end
if wlimit > 0 and redis.call('SCARD', wkey) >= wlimit then return reply({ unmanaged = 'over-capacity' }) end
redis.call('SADD', LIVE, iid)
if wlimit > 0 then redis.call('SADD', wkey, iid) end
-- Waiting since the score's time: now, or the place kept from an earlier wait (virtual hold).
redis.call('HSET', ikey(iid), 'state', 'queued', 'queue', q, 'channel', ch, 'score', score, 'queuedAt', math.fmod(tonumber(score), 1e13),
  'website', website, 'wkey', wkey, 'owner', '', 'offer', '', 'pending', '', 'conf', '', 'prefer', ARGV[13] or '', 'preferUntil', ARGV[14] or 0)
local cool = redis.call('HGET', qckey(q), 'cooldownMs')
for a in string.gmatch(ARGV[15] or '', '[^,]+') do redis.call('ZADD', skipkey(iid), NOW + (cool and tonumber(cool) or 60000), a) end
redis.call('ZADD', qkey(q), score, iid)
fixhead(q)
local maxWait = num(redis.call('HGET', qckey(q), 'maxWaitMs'))
if maxWait > 0 then redis.call('ZADD', MAXWAIT, NOW + maxWait, iid) end
-- With the queue's average wait, for the caller's estimate: no second round trip for it.
local position, avg = redis.call('ZRANK', qkey(q), iid) + 1, redis.call('HGET', P..'routing:stats:'..q, 'avgWaitMs') or ''
local o = ARGV[16] == '1' and route(iid) or nil
return reply({ position = position, avgWaitMs = avg, offers = o and { o } or {} })
