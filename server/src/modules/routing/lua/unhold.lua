-- ARGV: interactionId. A held interaction is being closed while a queueing may have taken it out
-- of its hold in MySQL: once the queueing is in Redis (its hash is there) it is queued, and not
-- the closer's to close; otherwise the mark makes the queueing refuse it (enqueue.lua), and the
-- closer closes it.
local iid = ARGV[5]
if redis.call('EXISTS', ikey(iid)) == 1 then return reply({ queued = true }) end
redis.call('SET', ikey(iid)..':unheld', '1', 'EX', DAY)
return reply({ queued = false })
