-- KEYS: sessions. ARGV: now ('' for the Redis clock). Drops dead sessions and returns the
-- space-separated user-agent digests of those it dropped, then the live ones as a flat list
-- of id and packed record.
local now = clock(ARG.now)
local fields = redis.call('HGETALL', KEY.sessions)
local out = {''}
local released = {}
for j = 1, #fields, 2 do
  local id = fields[j]
  local g, c, _, a, i, rest = string.match(fields[j + 1], RECORD)
  local created = g and num(c)
  if not g or now >= created + num(i) or now >= created + num(a) then
    redis.call('HDEL', KEY.sessions, id)
    released[#released + 1] = digestOf(rest)
  else
    out[#out + 1] = id
    out[#out + 1] = fields[j + 1]
  end
end
out[1] = table.concat(released, ' ')
return out
