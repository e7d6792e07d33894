-- wrk posting messages the way S10 measures them, to tutorchat or to its socket.io peer alike:
--
--   wrk -t1 -c64 -d10s --latency -s messages.lua http://127.0.0.1:PORT -- CHATS_FILE KEY_PREFIX
--
-- CHATS_FILE has a line per chat, `chat_id teacher_token student_token`. Each request takes the
-- next chat in turn and, each time round the chats, the other of its two members, and posts
-- `{"chat_id": …, "content": "wrk <n>"}` to /api/messages with a unique Idempotency-Key
-- (KEY_PREFIX, which each wrk process gets its own of, then the thread and request numbers:
-- tutorchat wants one, the peer ignores it). `done` prints how many answers were not 201 as
-- `non-201 <n>` (wrk's own "Non-2xx" line would count a 200 as a success).

local chats, prefix, n = {}, "wrk", 0
local threads = {}
-- A global, not a local: `done` reads each thread's with thread:get, which sees globals only.
errors = 0

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    local chat, teacher, student = line:match("^(%d+)%s+(%S+)%s+(%S+)$")
    if chat then
      table.insert(chats, { id = chat, tokens = { teacher, student } })
    end
  end
  assert(#chats > 0, "no chats in " .. tostring(args[1]))
  prefix = (args[2] or "wrk") .. "-" .. tostring(id)
end

function request()
  local chat = chats[n % #chats + 1]
  local token = chat.tokens[math.floor(n / #chats) % 2 + 1]
  n = n + 1
  local headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = prefix .. "-" .. n,
  }
  local body = string.format('{"chat_id": %s, "content": "wrk %d"}', chat.id, n)
  return wrk.format("POST", "/api/messages", headers, body)
end

function response(status, headers, body)
  if status ~= 201 then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + (thread:get("errors") or 0)
  end
  io.write(string.format("non-201 %d\n", total))
end
