-- ARGV: wrap member (agent|interaction|channel).
return reply({ ended = end_wrap(ARGV[5]) or cjson.null })
