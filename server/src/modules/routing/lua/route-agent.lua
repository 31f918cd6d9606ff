-- ARGV: agentId, queueId... → the offer made to this agent, if any: the first queued head (by
-- priority, then age) across queues that the agent may take.
local a = ARGV[5]
if redis.call('SISMEMBER', FREE, a) == 0 then return reply({ offers = {} }) end
local freeFor, busyOnCall = {}, oncall(a)
for _, ch in ipairs(CHANNELS) do freeFor[ch] = redis.call('SISMEMBER', FREE..':'..ch, a) == 1 end
local minstep = {}
local qmin = redis.call('HGETALL', akey(a)..':qmin')
for n = 1, #qmin, 2 do
  local step, ch = string.match(qmin[n + 1], '(%d+)|(%a+)')
  if freeFor[ch] then minstep[qmin[n]] = { step = tonumber(step), ch = ch } end
end
-- Queues in the order of their most urgent interaction: the first head this agent may take wins.
local best = nil
local heads = redis.call('ZRANGE', HEADS, 0, -1)
for _, q in ipairs(heads) do
  local need = minstep[q]
  if need then
    local cfg = redis.call('HMGET', qckey(q), 'relax', 'allowCall')
    if not (busyOnCall and cfg[2] ~= '1' and need.ch ~= 'phone' and need.ch ~= 'video') then
      local h = redis.call('ZRANGE', qkey(q), 0, 2, 'WITHSCORES')
      for k = 1, #h, 2 do
        -- the score is (10 - priority) * 1e13 + queuedAt
        if relaxstep(cfg[1], NOW - math.fmod(tonumber(h[k + 1]), 1e13)) >= need.step and not skipped(h[k], a) and not reserved(h[k], a) then
          best = h[k]
          break
        end
      end
    end
  end
  if best then break end
end
if best then
  local o = route(best, a)
  if o then return reply({ offers = { o } }) end
end
return reply({ offers = {} })
