-- ARGV: limit, dispatch lease (ms), session check lease (ms) → offers, wrap-ups and waits whose
-- time came, and which of the sweep's leases this instance took (`dispatch`: the full pass,
-- `sessionCheck`: agents whose sessions expired). Only `lost` when the routing state is gone.
if redis.call('EXISTS', P..'routing:built') == 0 then return reply({ lost = true }) end
local limit = tonumber(ARGV[5])
local function lease(name, ms) return redis.call('SET', P..'routing:'..name, '1', 'PX', ms, 'NX') ~= false end
return reply({ offers = redis.call('ZRANGEBYSCORE', DEADLINES, '-inf', NOW, 'LIMIT', 0, limit),
  wraps = redis.call('ZRANGEBYSCORE', WRAP, '-inf', NOW, 'LIMIT', 0, limit),
  waits = redis.call('ZRANGEBYSCORE', MAXWAIT, '-inf', NOW, 'LIMIT', 0, limit),
  dispatch = lease('dispatch-lease', tonumber(ARGV[6])), sessionCheck = lease('session-check-lease', tonumber(ARGV[7])) })
