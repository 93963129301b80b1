-- What the session scripts share, put before the body of each script whose definition in
-- lib/scripts.ts asks for it. Each is a local function defined by every call of such a script
-- (Redis runs a script's body anew each time), so they are few and small, and the work is done
-- by C functions (string.match, tonumber(x, 16), string.format) rather than Lua loops wherever
-- one exists. Lua numbers are doubles: integers are formatted explicitly, or 13-digit times
-- would become 1.7e+12.
-- string.format does hex in C, where a loop of Lua string operations per digit would cost a
-- rotation microseconds of Redis CPU.
local function hex(n)
  if n < 0 then return '-' .. string.format('%x', -n) end
  return string.format('%x', n)
end
-- A packed session record (see lib/keys.ts): generation, creation time, the last use,
-- absolute and idle expiries as offsets from it, numbers in hex, then the rest: '' (no user
-- agent) or '/<digest>' (a shared user-agent record).
local RECORD = '^(%x+):(%x+):(-?%x+):(%x+):(-?%x+)(.*)$'
-- The digest a record names after '/', or nil: ended sessions hand theirs back for release.
local function digestOf(rest) return rest and string.match(rest, '^/([%w_-]+)$') end
local function num(v)
  if string.byte(v) == 45 then return -tonumber(string.sub(v, 2), 16) end
  return tonumber(v, 16)
end
-- The time that decides: the caller's when given (tests), else this Redis server's.
local function clock(given)
  if given ~= '' then return tonumber(given) end
  local t = redis.call('TIME')
  return t[1] * 1000 + math.floor(t[2] / 1000)
end
