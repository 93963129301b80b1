-- KEYS: sessions. ARGV: sessionId. Returns {1 when the session existed else 0, its user-agent
-- digest or ''}.
local packed = redis.call('HGET', KEY.sessions, ARG.sessionId)
if not packed then return {0, ''} end
redis.call('HDEL', KEY.sessions, ARG.sessionId)
local rest = select(6, string.match(packed, RECORD))
return {1, digestOf(rest) or ''}
