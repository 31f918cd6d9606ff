-- Puts routing state back after Redis lost it (rebuild.ts). Skips what exists already, so an
-- instance creating, accepting or changing state while the rebuild runs is never undone or
-- counted twice.
-- ARGV: agentId, state ('' = keep whatever state Redis has), reason. Sets the state only if Redis
-- has none, then derives Busy / Wrap-up from the restored load and refreshes the free sets.
local a, st, reason = ARGV[5], ARGV[6], ARGV[7]
if redis.call('EXISTS', skey(a)) == 0 and not empty(st) then setstate(a, st, reason ~= '' and reason or nil) end
settle(a)
return reply({ state = redis.call('HGET', skey(a), 'state') or 'logged-out' })
