-- KEYS: sessions. ARGV: sessionId, now ('' for the Redis clock). Returns {packed record, the
-- time to judge its expiry with}, or {} when there is no such session.
local packed = redis.call('HGET', KEY.sessions, ARG.sessionId)
if not packed then return {} end
return {packed, string.format('%d', clock(ARG.now))}
