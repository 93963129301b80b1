-- KEYS: sessions. ARGV: the session id to keep ('' for none). Returns {the space-separated
-- user-agent digests of the sessions it ended, their ids}.
local fields = redis.call('HGETALL', KEY.sessions)
local ended = {}
local released = {}
for j = 1, #fields, 2 do
  local id = fields[j]
  if id ~= ARG.keepSessionId then
    redis.call('HDEL', KEY.sessions, id)
    ended[#ended + 1] = id
    released[#released + 1] = digestOf(select(6, string.match(fields[j + 1], RECORD)))
  end
end
return {table.concat(released, ' '), ended}
