-- A returning customer's interaction (a reply to a closed mail ticket) waits a while for the agent
-- who had it: until its 'preferUntil', only its 'prefer' agent may be offered it, as long as that
-- agent is signed in and has not declined it. After that, or without them, anyone. Loaded after
-- prelude.lua: it wraps route(), so every script that routes honours the wait.

-- The agent this interaction waits for now, or nil.
local function preferred(iid)
  local v = redis.call('HMGET', ikey(iid), 'prefer', 'preferUntil')
  if empty(v[1]) or num(v[2]) <= NOW then return nil end
  if redis.call('SISMEMBER', ONLINE, v[1]) == 0 or skipped(iid, v[1]) then return nil end
  return v[1]
end

-- Whether agent a must leave this interaction to the agent it waits for.
local function reserved(iid, a)
  local p = preferred(iid)
  return p ~= nil and p ~= a
end

local route_anyone = route
route = function(iid, only)
  local p = preferred(iid)
  if p == nil then return route_anyone(iid, only) end
  if only and only ~= p then return nil end
  return route_anyone(iid, p)
end
