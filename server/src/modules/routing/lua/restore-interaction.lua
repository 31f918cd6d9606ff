-- Puts routing state back after Redis lost it (rebuild.ts). Skips what exists already, so an
-- instance creating, accepting or changing state while the rebuild runs is never undone or
-- counted twice.
-- ARGV: iid, state (queued|assigned|conference), queue, channel, score, queuedAt (ms), website,
-- websiteLiveKey, owner, guest, assignedAt (ms), maxWaitAt (ms, 0 = none).
local iid, st, q, ch, score, queuedAt = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
local website, wkey, owner, guest, assignedAt, maxWaitAt = ARGV[11], ARGV[12], ARGV[13], ARGV[14], ARGV[15], tonumber(ARGV[16])
if redis.call('EXISTS', ikey(iid)) == 1 then return reply({ restored = false }) end
redis.call('HSET', ikey(iid), 'state', st, 'queue', q, 'channel', ch, 'score', score, 'queuedAt', queuedAt,
  'website', website, 'wkey', wkey, 'owner', owner, 'offer', '', 'pending', '', 'conf', guest)
redis.call('SADD', LIVE, iid)
if not empty(wkey) then redis.call('SADD', wkey, iid) end
if st == 'queued' then
  redis.call('ZADD', qkey(q), score, iid)
  fixhead(q)
  if maxWaitAt > 0 then redis.call('ZADD', MAXWAIT, maxWaitAt, iid) end
else
  redis.call('HSET', ikey(iid), 'assignedAt', assignedAt)
  redis.call('SADD', intskey(owner), iid)
  reserve(owner, ch)
  if not empty(guest) then
    redis.call('SADD', intskey(guest), iid)
    reserve(guest, ch)
  end
end
return reply({ restored = true })
