-- KEYS: user. ARGV: username, passwordHash, createdAt, userTtlMs. Writes the user hash with
-- its TTL, noting the username index as just renewed; returns 0 without writing when the id
-- is already taken.
if redis.call('EXISTS', KEY.user) == 1 then return 0 end
redis.call('HSET', KEY.user, 'n', ARG.username, 'h', ARG.passwordHash, 'c', ARG.createdAt, 'x', redis.call('TIME')[1])
redis.call('PEXPIRE', KEY.user, ARG.userTtlMs)
return 1
