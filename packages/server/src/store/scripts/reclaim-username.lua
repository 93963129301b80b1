-- KEYS: username index. ARGV: abandoned holder's id, new user id, userTtlMs, the highest PTTL
-- an abandoned index can have. Hands the username to the new user only if the index still
-- names the same holder and was written long enough ago that no registration of the holder
-- can still be under way. Returns 1 when it did.
if redis.call('GET', KEY.usernameIndex) ~= ARG.holderId then return 0 end
if redis.call('PTTL', KEY.usernameIndex) > tonumber(ARG.maxAbandonedPttlMs) then return 0 end
redis.call('SET', KEY.usernameIndex, ARG.userId, 'PX', ARG.userTtlMs)
return 1
