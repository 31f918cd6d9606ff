-- Shared Lua for the routing scripts: key names, the per-call state, and the steps the scripts
-- are made of (refresh the free sets, settle derived states, make and end offers, route). Loaded
-- once in front of every script (lua.ts has the calling convention).

-- Per call state, set by init(): the scripts run one at a time, so these are never shared.
local P, NOW, NOWISO, SEED
local FREE, ONLINE, LIVE, DEADLINES, WRAP, MAXWAIT, IDLE, HEADS
local changes, freed, seq, idled = {}, {}, 0, {}
local function init(argv)
  P, NOW, NOWISO, SEED = argv[1], tonumber(argv[2]), argv[3], argv[4]
  FREE, ONLINE, LIVE = P..'routing:free', P..'routing:online', P..'routing:live'
  DEADLINES, WRAP, MAXWAIT = P..'routing:deadlines', P..'routing:wrap', P..'routing:maxwait'
  IDLE, HEADS = P..'routing:idle', P..'routing:heads'
  changes, freed, seq, idled = {}, {}, 0, {}
end
local function akey(a) return P..'routing:a:'..a end
local function skey(a) return P..'agent-state:'..a end
local function ikey(i) return P..'routing:i:'..i end
local function okey(o) return P..'routing:o:'..o end
local function qkey(q) return P..'routing:q:'..q end
local function qckey(q) return P..'routing:qc:'..q end
local function intskey(a) return P..'routing:ints:'..a end
local function num(v) return tonumber(v) or 0 end
local function empty(v) return v == nil or v == false or v == '' end
local DAY = 86400

-- Agents who declined an interaction (rejected it or let the offer time out) are skipped for it
-- until a time: the queue's cool-down after a decline, for good (FOREVER) after handing it back
-- to the queue. ikey(iid)..':skip' scores each such agent with that time.
local FOREVER = 1e15
local function skipkey(i) return ikey(i)..':skip' end
local function skipped(iid, a)
  local u = redis.call('ZSCORE', skipkey(iid), a)
  return u ~= false and u ~= nil and tonumber(u) > NOW
end

local function hgetall(k)
  local raw, t = redis.call('HGETALL', k), {}
  for n = 1, #raw, 2 do t[raw[n]] = raw[n + 1] end
  return t
end

-- An agent is free (may get an offer) when Available or Busy, without a pending offer, and
-- under their total capacity; per-channel limits are checked when choosing.
-- ...and free for a channel when also under that channel's limit (FREE..':'..channel). Choosing
-- an agent intersects these sets with a queue's ranking instead of looking at every agent.
-- freeidle(channel) holds the same agents scored by IDLE, so route() can walk the free agents
-- longest idle first instead of intersecting all of them. It changes with the free set, and when
-- setstate() gives a free agent a new idle time (idled; every setstate() is followed by a refresh
-- in the same script) or profile.lua refreshes an agent.
local CHANNELS = { 'phone', 'video', 'chat', 'callback', 'mail' }
local function freeidle(ch) return P..'routing:fidle:'..ch end
local function refresh(a)
  local st = redis.call('HGET', skey(a), 'state')
  local v = redis.call('HMGET', akey(a), 'offer', 'load:total', 'cap:total', 'load:phone', 'cap:phone', 'load:video', 'cap:video',
    'load:chat', 'cap:chat', 'load:callback', 'cap:callback', 'load:mail', 'cap:mail', 'idle')
  local ok = (st == 'available' or st == 'busy') and empty(v[1]) and num(v[2]) < num(v[3])
  if ok then redis.call('SADD', FREE, a) else redis.call('SREM', FREE, a) end
  for k, ch in ipairs(CHANNELS) do
    if ok and num(v[2 + 2 * k]) < num(v[3 + 2 * k]) then
      if redis.call('SADD', FREE..':'..ch, a) == 1 or idled[a] then
        if v[14] then redis.call('ZADD', freeidle(ch), v[14], a) else redis.call('ZREM', freeidle(ch), a) end
      end
    elseif redis.call('SREM', FREE..':'..ch, a) == 1 then
      redis.call('ZREM', freeidle(ch), a)
    end
  end
  if st and st ~= 'logged-out' then redis.call('SADD', ONLINE, a) else redis.call('SREM', ONLINE, a) end
end

-- Each queue keeps, per relaxation step, a ranking of the agents who may take its interactions
-- at that step, scored -(sum of their levels on the required skills) * 1e13. IDLE scores agents
-- by when they last became Available; intersecting both (and the free set) ranks the best skill
-- first, then the longest idle, without touching every queue's ranking when an agent frees up.
local function rankkey(q, step) return P..'routing:qa:'..q..':'..step end
-- HEADS scores each queue by its first waiting interaction, so a freed agent looks at the queues
-- in the order of their most urgent interaction and stops at the first it may take.
local function fixhead(q)
  local h = redis.call('ZRANGE', qkey(q), 0, 0, 'WITHSCORES')
  if #h == 0 then redis.call('ZREM', HEADS, q) else redis.call('ZADD', HEADS, h[2], q) end
end
local function oncall(a)
  local v = redis.call('HMGET', akey(a), 'load:phone', 'load:video')
  return num(v[1]) + num(v[2]) > 0
end
local function relaxstep(relax, waited)
  local step = 0
  for after in string.gmatch(relax or '', '(%d+):%d+:%d') do
    if waited >= tonumber(after) then step = step + 1 end
  end
  return step
end

-- In Wrap-up the end of the after-work is stored with the state, so every tab (and a reload)
-- counts down to the same moment; it cannot move while in Wrap-up (no new close is possible).
local function wrapend(a)
  local until_ = 0
  for _, m in ipairs(redis.call('SMEMBERS', akey(a)..':wrap')) do until_ = math.max(until_, num(redis.call('ZSCORE', WRAP, m))) end
  return until_
end
local function setstate(a, st, reason)
  local until_ = st == 'wrap-up' and wrapend(a) or 0
  redis.call('HSET', skey(a), 'state', st, 'reason', reason or '', 'since', NOWISO, 'wrapUntil', until_ > 0 and until_ or '')
  table.insert(changes, { agentId = a, state = st, reason = reason or cjson.null, since = NOWISO, wrapUntil = until_ > 0 and until_ or cjson.null })
  if st == 'available' then
    redis.call('HSET', akey(a), 'idle', NOW)
    redis.call('ZADD', IDLE, NOW, a)
    idled[a] = true
  end
end

-- Busy and Wrap-up are derived from load: work in hand → busy; only after-work left → wrap-up.
local function settle(a)
  local st = redis.call('HGET', skey(a), 'state')
  if st ~= 'available' and st ~= 'busy' and st ~= 'wrap-up' then refresh(a) return end
  local v = redis.call('HMGET', akey(a), 'load:total', 'wrapping', 'offer')
  local active = num(v[1]) - (empty(v[3]) and 0 or 1)
  local want = 'busy'
  if active <= 0 then want = 'available' elseif num(v[2]) >= active then want = 'wrap-up' end
  if want ~= st then setstate(a, want, nil) end
  refresh(a)
end

local function release(a, ch)
  table.insert(freed, a)
  for _, f in ipairs({ 'load:'..ch, 'load:total' }) do
    if redis.call('HINCRBY', akey(a), f, -1) < 0 then redis.call('HSET', akey(a), f, 0) end
  end
end

local function reserve(a, ch)
  redis.call('HINCRBY', akey(a), 'load:'..ch, 1)
  redis.call('HINCRBY', akey(a), 'load:total', 1)
end

local function offer(iid, i, a, kind, from, timeoutMs)
  seq = seq + 1
  local oid = SEED..string.format('%04x', seq)
  local deadline = NOW + timeoutMs
  redis.call('HSET', okey(oid), 'interaction', iid, 'agent', a, 'kind', kind, 'state', 'pending',
    'from', from or '', 'deadline', deadline, 'channel', i.channel, 'queue', i.queue or '')
  reserve(a, i.channel)
  redis.call('HSET', akey(a), 'offer', oid)
  redis.call('ZADD', DEADLINES, deadline, oid)
  redis.call('SADD', ikey(iid)..':seen', a)
  if kind == 'route' then
    redis.call('HSET', ikey(iid), 'state', 'offered', 'offer', oid)
    redis.call('ZREM', qkey(i.queue), iid)
    fixhead(i.queue)
  else
    redis.call('HSET', ikey(iid), 'pending', oid, 'pendingKind', kind, 'pendingAgent', a)
  end
  settle(a)
  return { offerId = oid, agentId = a, interactionId = iid, kind = kind, expiresAt = deadline, queueId = i.queue, channel = i.channel, from = from or cjson.null }
end

local function parse_skills(s)
  local out = {}
  for name, level in string.gmatch(s or '', '([^=;]+)=(%d+)') do table.insert(out, { name = name, level = tonumber(level) }) end
  return out
end

-- The best free agent for a queued interaction: the first in the queue's ranking for the
-- interaction's relaxation step who is free for its channel, has not declined it within the
-- queue's cool-down, and is not on a call (unless the queue allows it). 'only' restricts the choice to one agent.
--
-- That order is ZINTER's of the ranking, the free set and IDLE: best skill, then longest idle,
-- then by name. ZINTER costs in proportion to the free agents (1.6 ms of Redis at 1,000), so
-- choose() finds the same agent by walking freeidle(channel), which is in the same order within a
-- skill level, and checks only the few better-ranked agents a walk could have passed over. It
-- falls back to ZINTER whenever it cannot be sure in a few steps. A step of the walk, or the check
-- of a better-ranked agent, costs Redis about what two or three free agents cost ZINTER
-- (bench/routing/choice.mjs): the walk stops after a quarter of the free agents (WALK at most),
-- and the check is made for up to half as many agents as are free.
local SMALL, WALK = 32, 64
local function intersect(rank, ch, usable)
  for _, a in ipairs(redis.call('ZINTER', 3, rank, FREE..':'..ch, IDLE, 'WEIGHTS', 1, 0, 1)) do
    if usable(a) then return a end
  end
  return nil
end
local function choose(rank, ch, usable)
  local fi = freeidle(ch)
  local nfree, nrank = redis.call('ZCARD', fi), redis.call('ZCARD', rank)
  -- Few agents: ZINTER is as cheap. freeidle out of step with the free set (a server version that
  -- does not keep it ran on this state): ZINTER is right.
  if nfree <= SMALL or nrank <= SMALL or nfree ~= redis.call('SCARD', FREE..':'..ch) then return intersect(rank, ch, usable) end
  local top = redis.call('ZRANGE', rank, 0, 0, 'WITHSCORES')
  local topScore = tonumber(top[2])
  -- Beyond 2^53 ZINTER's sums of level and idle time would round: its order is not ours to copy.
  if topScore < -8e15 then return intersect(rank, ch, usable) end
  -- The first usable agent of a skill level in the walk is the best of that level; the walk ends
  -- at one of the best level there is.
  local found, level, pos, step = nil, nil, 0, 8
  local walk = math.min(WALK, math.floor(nfree / 4))
  while pos < walk do
    step = math.min(step, walk - pos)
    local batch = redis.call('ZRANGE', fi, pos, pos + step - 1)
    for _, a in ipairs(batch) do
      local r = redis.call('ZSCORE', rank, a)
      if r and (not found or tonumber(r) < tonumber(level)) and usable(a) then
        found, level = a, r
        if tonumber(r) == topScore then return a end
      end
    end
    -- Every free agent seen.
    if #batch < step then return found end
    pos, step = pos + #batch, step * 2
  end
  if not found then return intersect(rank, ch, usable) end
  -- An agent of a better level wins wherever it is after the walk; among them, the first in it.
  if redis.call('ZCOUNT', rank, '-inf', '('..level) > nfree / 2 then return intersect(rank, ch, usable) end
  local better = redis.call('ZRANGEBYSCORE', rank, '-inf', '('..level, 'WITHSCORES')
  local bestScore, bestPos = nil, nil
  for n = 1, #better, 2 do
    local a, s = better[n], tonumber(better[n + 1])
    local p = redis.call('ZRANK', fi, a)
    if p and (not bestScore or s < bestScore or (s == bestScore and p < bestPos)) and usable(a) then
      found, bestScore, bestPos = a, s, p
    end
  end
  return found
end

local function route(iid, only)
  local i = hgetall(ikey(iid))
  if i.state ~= 'queued' then return nil end
  local cfg = hgetall(qckey(i.queue))
  local ch = i.channel
  local rank = rankkey(i.queue, relaxstep(cfg.relax, NOW - num(i.queuedAt)))
  local onCallBlocks = cfg.allowCall ~= '1' and ch ~= 'phone' and ch ~= 'video'
  local declined = {}
  for _, a in ipairs(redis.call('ZRANGEBYSCORE', skipkey(iid), '('..NOW, '+inf')) do declined[a] = true end
  local function usable(a) return not declined[a] and not (onCallBlocks and oncall(a)) end
  local a
  if only then
    if redis.call('SISMEMBER', FREE..':'..ch, only) == 0 or not redis.call('ZSCORE', rank, only) or not usable(only) then return nil end
    a = only
  else
    a = choose(rank, ch, usable)
  end
  if a then return offer(iid, i, a, 'route', nil, num(cfg.timeoutMs)) end
  return nil
end

-- Ends an offer that was not accepted. A missed route offer sends the agent to RONA (or Not
-- ready after too many in a row) and puts the interaction back in its queue at its old place.
local function decline(oid, o, outcome)
  local a, iid, ch = o.agent, o.interaction, o.channel
  redis.call('HSET', okey(oid), 'state', outcome)
  redis.call('EXPIRE', okey(oid), DAY)
  redis.call('ZREM', DEADLINES, oid)
  redis.call('HSET', akey(a), 'offer', '')
  release(a, ch)
  if o.kind == 'route' then
    local i = hgetall(ikey(iid))
    if i.offer == oid then
      if outcome ~= 'withdrawn' then
        local cool = redis.call('HGET', qckey(i.queue), 'cooldownMs')
        redis.call('ZADD', skipkey(iid), NOW + (cool and tonumber(cool) or 60000), a)
      end
      redis.call('HSET', ikey(iid), 'state', 'queued', 'offer', '')
      redis.call('ZADD', qkey(i.queue), i.score, iid)
      fixhead(i.queue)
    end
  elseif redis.call('HGET', ikey(iid), 'pending') == oid then
    redis.call('HSET', ikey(iid), 'pending', '', 'pendingKind', '', 'pendingAgent', '')
  end
  if outcome == 'timeout' and o.kind == 'route' then
    local missed = redis.call('HINCRBY', akey(a), 'missed', 1)
    local st = redis.call('HGET', skey(a), 'state')
    if st == 'available' or st == 'busy' then
      local limit = num(redis.call('HGET', qckey(o.queue), 'autoNotReady'))
      if limit > 0 and missed >= limit then setstate(a, 'not-ready', 'missed-offers') else setstate(a, 'rona', nil) end
    end
  end
  settle(a)
  return { offerId = oid, agentId = a, interactionId = iid, kind = o.kind, outcome = outcome, from = o.from, queueId = o.queue }
end

local function end_wrap(member)
  if redis.call('ZREM', WRAP, member) == 0 then return nil end
  local a, iid, ch = string.match(member, '([^|]+)|([^|]+)|([^|]+)')
  redis.call('SREM', akey(a)..':wrap', member)
  if redis.call('HINCRBY', akey(a), 'wrapping', -1) < 0 then redis.call('HSET', akey(a), 'wrapping', 0) end
  release(a, ch)
  settle(a)
  return { agentId = a, interactionId = iid }
end

local function reply(t)
  t.changes = changes
  t.freed = freed
  return cjson.encode(t)
end
