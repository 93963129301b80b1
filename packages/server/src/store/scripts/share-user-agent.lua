-- KEYS: a shared user-agent record, a hash of the user agent (`v`) and the number of sessions
-- that name it (`n`). ARGV: the user agent, TTL in milliseconds. Counts one more session and
-- lengthens the TTL to at least this one: it must outlive every session that names it, and a
-- login never shortens what an earlier one with a longer lifetime set.
redis.call('HSET', KEY.userAgent, 'v', ARG.userAgent)
local sessions = redis.call('HINCRBY', KEY.userAgent, 'n', 1)
if redis.call('PEXPIRE', KEY.userAgent, ARG.ttlMs, 'NX') == 0 then
  redis.call('PEXPIRE', KEY.userAgent, ARG.ttlMs, 'GT')
end
return sessions
