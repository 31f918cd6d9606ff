-- ARGV: limit → offers whose deadline passed.
return reply({ offers = redis.call('ZRANGEBYSCORE', DEADLINES, '-inf', NOW, 'LIMIT', 0, tonumber(ARGV[5])),
  wraps = redis.call('ZRANGEBYSCORE', WRAP, '-inf', NOW, 'LIMIT', 0, tonumber(ARGV[5])),
  waits = redis.call('ZRANGEBYSCORE', MAXWAIT, '-inf', NOW, 'LIMIT', 0, tonumber(ARGV[5])) })
