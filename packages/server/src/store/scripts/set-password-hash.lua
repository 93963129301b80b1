-- KEYS: user. ARGV: password hash, the hash it re-hashes ('' for a change of password).
-- Returns 1 when the user exists and was updated. A change counts the version `v` up, which a
-- login's session creation checks; a re-hash of the same password happens only while the
-- hash is still the one it re-hashes, and keeps the version.
if redis.call('EXISTS', KEY.user) == 0 then return 0 end
if ARG.rehashOf ~= '' then
  if redis.call('HGET', KEY.user, 'h') ~= ARG.rehashOf then return 0 end
else
  redis.call('HINCRBY', KEY.user, 'v', 1)
end
redis.call('HSET', KEY.user, 'h', ARG.passwordHash)
return 1
