-- ARGV: queueId... → offers made. The full pass, run periodically: it catches what relaxation
-- made routable. Arrivals and freed agents use the targeted ROUTE_ONE and ROUTE_AGENT instead.
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
