-- KEYS: a shared user-agent record. Counts one session fewer, and deletes the record when no
-- session names it any more: sessions that a login evicts or a logout ends take their record
-- with them, so an account's records stay within its session bound. A session that simply
-- expires is not counted down; its record lives out its TTL. Returns the sessions left.
local sessions = redis.call('HINCRBY', KEY.userAgent, 'n', -1)
if sessions <= 0 then redis.call('DEL', KEY.userAgent) end
return sessions
