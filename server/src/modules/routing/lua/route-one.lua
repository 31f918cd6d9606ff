-- ARGV: interactionId → the offer made for it to the best free agent, if any.
local o = route(ARGV[5])
return reply({ offers = o and { o } or {} })
