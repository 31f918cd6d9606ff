-- ARGV: offerId, agentId ('' = any: timeouts and withdrawals), outcome (rejected|timeout|withdrawn).
local oid, a, outcome = ARGV[5], ARGV[6], ARGV[7]
local o = hgetall(okey(oid))
if not o.interaction then return reply({ error = 'not_found' }) end
if a ~= '' and o.agent ~= a then return reply({ error = 'not_yours' }) end
if o.state ~= 'pending' then return reply({ error = 'closed', state = o.state }) end
if outcome == 'timeout' and num(o.deadline) > NOW then return reply({ error = 'not_due' }) end
return reply(decline(oid, o, outcome))
