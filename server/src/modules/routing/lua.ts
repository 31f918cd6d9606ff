// The routing state machine as Redis Lua scripts. Each script runs atomically in Redis, so any
// number of server instances can call them at once: an interaction is offered to one agent at a
// time, an agent never goes over capacity, and of many accepts of one offer exactly one wins.
// Every script gets ARGV[1] = key prefix, ARGV[2] = now (ms), ARGV[3] = now (ISO), ARGV[4] = a
// random 28-hex seed for the offer ids it makes, then its own arguments from ARGV[5]. Keys are
// built inside the scripts, so this needs one Redis (not Redis Cluster). Scripts answer with
// cjson; `changes` lists the agent states they changed, which the caller records and announces.

import { PRELUDE } from './lua-prelude.js';
import { RESTORE_AGENT, RESTORE_INTERACTION } from './lua-restore.js';
import { LEAVE } from './lua-leave.js';

/**
 * ARGV: queueId... → offers made. The full pass, run periodically: it catches what relaxation
 * made routable. Arrivals and freed agents use the targeted ROUTE_ONE and ROUTE_AGENT instead.
 */
const DISPATCH = String.raw`
local offers, heads = {}, {}
if redis.call('SCARD', FREE) == 0 then return reply({ offers = offers }) end
for n = 5, #ARGV do
  local ch = redis.call('HGET', qckey(ARGV[n]), 'channel')
  local h = (ch and redis.call('SCARD', FREE..':'..ch) > 0) and redis.call('ZRANGE', qkey(ARGV[n]), 0, 1, 'WITHSCORES') or {}
  for k = 1, #h, 2 do table.insert(heads, { id = h[k], score = tonumber(h[k + 1]) }) end
end
table.sort(heads, function(x, y) return x.score < y.score end)
for _, h in ipairs(heads) do
  if redis.call('SCARD', FREE) == 0 then break end
  local o = route(h.id)
  if o then table.insert(offers, o) end
end
return reply({ offers = offers })
`;

/** ARGV: interactionId → the offer made for it to the best free agent, if any. */
const ROUTE_ONE = String.raw`
local o = route(ARGV[5])
return reply({ offers = o and { o } or {} })
`;

/**
 * ARGV: agentId, queueId... → the offer made to this agent, if any: the first queued head (by
 * priority, then age) across queues that the agent may take.
 */
const ROUTE_AGENT = String.raw`
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
        if relaxstep(cfg[1], NOW - math.fmod(tonumber(h[k + 1]), 1e13)) >= need.step and redis.call('SISMEMBER', ikey(h[k])..':declined', a) == 0 then
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
`;

/** ARGV: iid, queueId, channel, score, website, licensedLimit, websiteLimit, liveSetOfWebsite. */
const ENQUEUE = String.raw`
local iid, q, ch, score, website = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local limit, wlimit, wkey = tonumber(ARGV[10]), tonumber(ARGV[11]), ARGV[12]
if redis.call('SCARD', LIVE) >= limit then return reply({ unmanaged = 'licensed-limit' }) end
if wlimit > 0 and redis.call('SCARD', wkey) >= wlimit then return reply({ unmanaged = 'over-capacity' }) end
redis.call('SADD', LIVE, iid)
if wlimit > 0 then redis.call('SADD', wkey, iid) end
redis.call('HSET', ikey(iid), 'state', 'queued', 'queue', q, 'channel', ch, 'score', score, 'queuedAt', NOW,
  'website', website, 'wkey', wkey, 'owner', '', 'offer', '', 'pending', '', 'conf', '')
redis.call('ZADD', qkey(q), score, iid)
fixhead(q)
local maxWait = num(redis.call('HGET', qckey(q), 'maxWaitMs'))
if maxWait > 0 then redis.call('ZADD', MAXWAIT, NOW + maxWait, iid) end
return reply({ position = redis.call('ZRANK', qkey(q), iid) + 1 })
`;

/** ARGV: offerId, agentId. */
const ACCEPT = String.raw`
local oid, a = ARGV[5], ARGV[6]
local o = hgetall(okey(oid))
if not o.interaction then return reply({ error = 'not_found' }) end
if o.agent ~= a then return reply({ error = 'not_yours' }) end
if o.state ~= 'pending' then return reply({ error = 'closed', state = o.state }) end
local iid, ch = o.interaction, o.channel
local i = hgetall(ikey(iid))
redis.call('HSET', okey(oid), 'state', 'accepted')
redis.call('EXPIRE', okey(oid), DAY)
redis.call('ZREM', DEADLINES, oid)
redis.call('HSET', akey(a), 'offer', '', 'missed', 0)
local result = { offerId = oid, agentId = a, interactionId = iid, kind = o.kind, from = o.from, queueId = i.queue, channel = ch }
if o.kind == 'route' then
  redis.call('HSET', ikey(iid), 'state', 'assigned', 'owner', a, 'offer', '', 'assignedAt', NOW)
  redis.call('ZREM', MAXWAIT, iid)
  local waited = NOW - num(i.queuedAt)
  local avg = num(redis.call('HGET', P..'routing:stats:'..i.queue, 'avgWaitMs'))
  redis.call('HSET', P..'routing:stats:'..i.queue, 'avgWaitMs', avg == 0 and waited or math.floor(avg * 0.8 + waited * 0.2))
  result.waitedMs = waited
elseif o.kind == 'transfer' then
  local prev = i.owner
  redis.call('HSET', ikey(iid), 'owner', a, 'pending', '', 'pendingKind', '', 'pendingAgent', '')
  redis.call('SREM', intskey(prev), iid)
  release(prev, ch)
  settle(prev)
else
  redis.call('HSET', ikey(iid), 'state', 'conference', 'conf', a, 'pending', '', 'pendingKind', '', 'pendingAgent', '')
end
redis.call('SADD', intskey(a), iid)
settle(a)
result.seen = redis.call('SMEMBERS', ikey(iid)..':seen')
return reply(result)
`;

/** ARGV: offerId, agentId ('' = any: timeouts and withdrawals), outcome (rejected|timeout|withdrawn). */
const DECLINE = String.raw`
local oid, a, outcome = ARGV[5], ARGV[6], ARGV[7]
local o = hgetall(okey(oid))
if not o.interaction then return reply({ error = 'not_found' }) end
if a ~= '' and o.agent ~= a then return reply({ error = 'not_yours' }) end
if o.state ~= 'pending' then return reply({ error = 'closed', state = o.state }) end
if outcome == 'timeout' and num(o.deadline) > NOW then return reply({ error = 'not_due' }) end
return reply(decline(oid, o, outcome))
`;

/** ARGV: limit → offers whose deadline passed. */
const DUE = String.raw`
return reply({ offers = redis.call('ZRANGEBYSCORE', DEADLINES, '-inf', NOW, 'LIMIT', 0, tonumber(ARGV[5])),
  wraps = redis.call('ZRANGEBYSCORE', WRAP, '-inf', NOW, 'LIMIT', 0, tonumber(ARGV[5])),
  waits = redis.call('ZRANGEBYSCORE', MAXWAIT, '-inf', NOW, 'LIMIT', 0, tonumber(ARGV[5])) })
`;

/**
 * ARGV: interactionId. Waited longer than its queue's maxWaitSeconds: it leaves the queue as
 * unmanaged. While an offer is pending it is left alone (the sweep comes back after the offer).
 */
const EXPIRE_WAIT = String.raw`
local iid = ARGV[5]
local i = hgetall(ikey(iid))
if i.state == 'offered' then return reply({ error = 'offered' }) end
redis.call('ZREM', MAXWAIT, iid)
if i.state ~= 'queued' then return reply({ error = 'finished', state = i.state or '' }) end
redis.call('ZREM', qkey(i.queue), iid)
fixhead(i.queue)
redis.call('SREM', LIVE, iid)
if not empty(i.wkey) then redis.call('SREM', i.wkey, iid) end
redis.call('HSET', ikey(iid), 'state', 'unmanaged')
for _, k in ipairs({ ikey(iid), ikey(iid)..':seen', ikey(iid)..':declined' }) do redis.call('EXPIRE', k, DAY) end
return reply({ interactionId = iid, channel = i.channel, queueId = i.queue, waitedMs = NOW - num(i.queuedAt) })
`;

/** ARGV: wrap member (agent|interaction|channel). */
const END_WRAP = String.raw`
return reply({ ended = end_wrap(ARGV[5]) or cjson.null })
`;

/**
 * ARGV: interactionId, agentId ('' = the channel or the system), wrapMs, finalState (closed|abandoned).
 * Queued or offered → abandoned; assigned → closed, the owner keeps the slot for wrap-up.
 */
const CLOSE = String.raw`
local iid, a, wrapMs, final = ARGV[5], ARGV[6], tonumber(ARGV[7]), ARGV[8]
local i = hgetall(ikey(iid))
if not i.state then return reply({ error = 'not_found' }) end
if a ~= '' and i.owner ~= a then return reply({ error = i.conf == a and 'not_owner' or 'not_yours', state = i.state }) end
local result = { interactionId = iid, channel = i.channel, queueId = i.queue, previous = i.state, owner = i.owner, conf = i.conf }
if i.state == 'queued' or i.state == 'offered' then
  if a ~= '' then return reply({ error = 'not_yours', state = i.state }) end
  redis.call('ZREM', qkey(i.queue), iid)
  fixhead(i.queue)
  if not empty(i.offer) then
    local o = hgetall(okey(i.offer))
    if o.state == 'pending' then result.withdrawn = decline(i.offer, o, 'withdrawn') end
  end
  result.state = 'abandoned'
elseif i.state == 'assigned' or i.state == 'conference' then
  if not empty(i.pending) then
    local o = hgetall(okey(i.pending))
    if o.state == 'pending' then result.withdrawn = decline(i.pending, o, 'withdrawn') end
  end
  if not empty(i.conf) then
    release(i.conf, i.channel)
    redis.call('SREM', intskey(i.conf), iid)
    settle(i.conf)
  end
  redis.call('SREM', intskey(i.owner), iid)
  -- An owner who logged out during a call has no after-work to do here.
  local wrap = wrapMs > 0
  if wrap then
    local ownerState = redis.call('HGET', skey(i.owner), 'state')
    wrap = not empty(ownerState) and ownerState ~= 'logged-out'
  end
  if wrap then
    local member = i.owner..'|'..iid..'|'..i.channel
    redis.call('ZADD', WRAP, NOW + wrapMs, member)
    redis.call('SADD', akey(i.owner)..':wrap', member)
    redis.call('HINCRBY', akey(i.owner), 'wrapping', 1)
    result.wrapUntil = NOW + wrapMs
  else
    release(i.owner, i.channel)
  end
  settle(i.owner)
  result.state = final
else
  return reply({ error = 'finished', state = i.state })
end
redis.call('SREM', LIVE, iid)
redis.call('ZREM', MAXWAIT, iid)
if not empty(i.wkey) then redis.call('SREM', i.wkey, iid) end
redis.call('HSET', ikey(iid), 'state', result.state, 'pending', '', 'pendingKind', '', 'pendingAgent', '', 'conf', '', 'offer', '')
for _, k in ipairs({ ikey(iid), ikey(iid)..':seen', ikey(iid)..':declined' }) do redis.call('EXPIRE', k, DAY) end
result.seen = redis.call('SMEMBERS', ikey(iid)..':seen')
return reply(result)
`;

/**
 * ARGV: interactionId, agentId (owner), mode (queue|agent|conference), target, score|timeoutMs.
 * To a queue: the owner lets go and it is routed again. To an agent or a conference: an offer to
 * that agent; the interaction stays with the owner until it is accepted.
 */
const HANDOVER = String.raw`
local iid, a, mode, target, extra = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local i = hgetall(ikey(iid))
if not i.state then return reply({ error = 'not_found' }) end
if i.owner ~= a then return reply({ error = 'not_yours', state = i.state }) end
if not empty(i.pending) then return reply({ error = 'pending', state = i.state }) end
if mode == 'conference' then
  if i.state ~= 'assigned' then return reply({ error = 'state', state = i.state }) end
elseif i.state ~= 'assigned' then return reply({ error = 'in_conference', state = i.state }) end
if mode == 'queue' then
  release(a, i.channel)
  redis.call('SREM', intskey(a), iid)
  redis.call('DEL', ikey(iid)..':declined')
  redis.call('SADD', ikey(iid)..':declined', a)
  redis.call('HSET', ikey(iid), 'state', 'queued', 'queue', target, 'owner', '', 'score', extra, 'queuedAt', NOW)
  redis.call('ZADD', qkey(target), extra, iid)
  fixhead(target)
  local maxWait = num(redis.call('HGET', qckey(target), 'maxWaitMs'))
  if maxWait > 0 then redis.call('ZADD', MAXWAIT, NOW + maxWait, iid) end
  settle(a)
  return reply({ interactionId = iid, position = redis.call('ZRANK', qkey(target), iid) + 1 })
end
if target == a then return reply({ error = 'self' }) end
local st = redis.call('HGET', skey(target), 'state')
if empty(st) or st == 'logged-out' then return reply({ error = 'target_logged_out' }) end
if st ~= 'available' and st ~= 'busy' then return reply({ error = 'target_unavailable', state = st }) end
local v = redis.call('HMGET', akey(target), 'offer', 'cap:'..i.channel, 'load:'..i.channel, 'cap:total', 'load:total')
if not empty(v[1]) or num(v[3]) >= num(v[2]) or num(v[5]) >= num(v[4]) then return reply({ error = 'target_full' }) end
i.queue = i.queue or ''
return reply(offer(iid, i, target, mode == 'agent' and 'transfer' or 'conference', a, tonumber(extra)))
`;

/** ARGV: interactionId, agentId (owner or guest). */
const END_CONFERENCE = String.raw`
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
`;

/**
 * ARGV: agentId, state, reason. What an agent (or an administrator) asks for; Available becomes
 * Busy while work is in hand and ends wrap-up early; leaving Available withdraws a pending offer.
 */
const SET_STATE = String.raw`
local a, st, reason = ARGV[5], ARGV[6], ARGV[7]
local result = {}
if st == 'available' then
  redis.call('HSET', akey(a), 'missed', 0)
  for _, m in ipairs(redis.call('SMEMBERS', akey(a)..':wrap')) do end_wrap(m) end
  local v = redis.call('HMGET', akey(a), 'load:total', 'offer')
  if num(v[1]) - (empty(v[2]) and 0 or 1) > 0 then st = 'busy' end
else
  local oid = redis.call('HGET', akey(a), 'offer')
  if not empty(oid) then
    local o = hgetall(okey(oid))
    if o.state == 'pending' then result.withdrawn = decline(oid, o, 'withdrawn') end
  end
end
setstate(a, st, reason)
refresh(a)
if st == 'available' or st == 'busy' then table.insert(freed, a) end
result.state = st
return reply(result)
`;

/**
 * ARGV: agentId, comma-separated queue ids, then field/value pairs (cap:*, sk:*): the agent's
 * routing profile, and their place in the ranking of every queue and relaxation step.
 */
const PROFILE = String.raw`
local a, queues = ARGV[5], ARGV[6]
for _, f in ipairs(redis.call('HKEYS', akey(a))) do
  if string.sub(f, 1, 3) == 'sk:' or string.sub(f, 1, 4) == 'cap:' then redis.call('HDEL', akey(a), f) end
end
for n = 7, #ARGV, 2 do redis.call('HSET', akey(a), ARGV[n], ARGV[n + 1]) end
if not redis.call('HGET', akey(a), 'idle') then redis.call('HSET', akey(a), 'idle', NOW) end
redis.call('ZADD', IDLE, num(redis.call('HGET', akey(a), 'idle')), a)
-- The agent's entries ('queue|step') are remembered so a new profile can remove them.
for _, m in ipairs(redis.call('SMEMBERS', akey(a)..':idx')) do
  local q, step = string.match(m, '([^|]+)|(%d+)')
  redis.call('ZREM', rankkey(q, step), a)
end
redis.call('DEL', akey(a)..':idx', akey(a)..':qmin')
for q in string.gmatch(queues, '[^,]+') do
  local cfg = hgetall(qckey(q))
  if cfg.channel and num(redis.call('HGET', akey(a), 'cap:'..cfg.channel)) > 0 then
    local skills = parse_skills(cfg.skills)
    local levels, sum = {}, 0
    for k, sk in ipairs(skills) do
      levels[k] = num(redis.call('HGET', akey(a), 'sk:'..sk.name))
      sum = sum + levels[k]
    end
    local steps = { { drop = 0, any = false } }
    local drop, any = 0, false
    for _, d, anyflag in string.gmatch(cfg.relax or '', '(%d+):(%d+):(%d)') do
      drop = math.max(drop, tonumber(d))
      any = any or anyflag == '1'
      table.insert(steps, { drop = drop, any = any })
    end
    local first = nil
    for n, st in ipairs(steps) do
      local ok = st.any
      if not ok then
        ok = true
        for k, sk in ipairs(skills) do
          if levels[k] < math.max(1, sk.level - st.drop) then ok = false break end
        end
      end
      if ok then
        redis.call('SADD', akey(a)..':idx', q..'|'..(n - 1))
        redis.call('ZADD', rankkey(q, n - 1), -sum * 1e13, a)
        first = first or (n - 1)
      end
    end
    -- for ROUTE_AGENT: the earliest step at which the agent may take this queue, and its channel
    if first then redis.call('HSET', akey(a)..':qmin', q, first..'|'..cfg.channel) end
  end
end
refresh(a)
return reply({})
`;

export const BODIES = {
  dispatch: DISPATCH,
  routeOne: ROUTE_ONE,
  routeAgent: ROUTE_AGENT,
  enqueue: ENQUEUE,
  accept: ACCEPT,
  decline: DECLINE,
  due: DUE,
  endWrap: END_WRAP,
  expireWait: EXPIRE_WAIT,
  close: CLOSE,
  handover: HANDOVER,
  endConference: END_CONFERENCE,
  setState: SET_STATE,
  profile: PROFILE,
  leave: LEAVE,
  restoreInteraction: RESTORE_INTERACTION,
  restoreAgent: RESTORE_AGENT,
} as const;
export type ScriptName = keyof typeof BODIES;

/** For EVAL: the prelude, the call's state, then the body. */
export const scriptSource = (name: ScriptName) => `${PRELUDE}\ninit(ARGV)\n${BODIES[name]}`;

/**
 * The same code as a Redis 7 function library: the prelude runs once when the library loads
 * instead of on every call. `tag` (a hash of the code) keeps versions of the library apart.
 */
export function librarySource(tag: string): string {
  const fns = (Object.keys(BODIES) as ScriptName[]).map((n) => `redis.register_function('sbr_${tag}_${n}', function(KEYS, ARGV)\ninit(ARGV)\n${BODIES[n]}\nend)`);
  return `#!lua name=switchboard_routing_${tag}\n${PRELUDE}\n${fns.join('\n')}\n`;
}

