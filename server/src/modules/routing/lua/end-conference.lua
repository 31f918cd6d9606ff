-- ARGV: interactionId, agentId (owner or guest).
local iid, a = ARGV[5], ARGV[6]
local i = hgetall(ikey(iid))
if not i.state then return reply({ error = 'not_found' }) end
if i.owner ~= a and i.conf ~= a then return reply({ error = 'not_yours', state = i.state }) end
if i.state ~= 'conference' then return reply({ error = 'state', state = i.state }) end
local guest = i.conf
release(guest, i.channel)
redis.call('SREM', intskey(guest), iid)
redis.call('HSET', ikey(iid), 'state', 'assigned', 'conf', '')
settle(guest)
return reply({ interactionId = iid, guest = guest, owner = i.owner })
