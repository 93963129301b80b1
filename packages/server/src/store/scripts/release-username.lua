-- KEYS: username index. ARGV: user id. Deletes the index only if it still names that user.
if redis.call('GET', KEY.usernameIndex) == ARG.userId then return redis.call('DEL', KEY.usernameIndex) end
return 0
