-- wrk script: OAuth 2.0 client_credentials token requests with client_secret_basic.
--
--   BENCH_CLIENT_ID=... BENCH_CLIENT_SECRET=... [BENCH_SCOPE=...] [BENCH_TARGET=name] \
--     wrk -t2 -c32 -d15s --latency -s bench/token.lua http://HOST:PORT/token/path
--
-- Every response whose status is not 200 is counted (per thread, summed in done()). done()
-- prints exactly one line of JSON starting with {"bench": ...} for bench/run.sh to parse.

-- The shared helpers, beside this script.
local common = dofile((debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./") .. "wrk_common.lua")
local getenv, formencode, jsonstr = common.getenv, common.formencode, common.jsonstr

local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function base64(data)
  return ((data:gsub(".", function(x)
    local r, b = "", x:byte()
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and "1" or "0") end
    return r
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return b64chars:sub(c + 1, c + 1)
  end) .. ({ "", "==", "=" })[#data % 3 + 1])
end

local client_id = getenv("BENCH_CLIENT_ID")
local client_secret = getenv("BENCH_CLIENT_SECRET")
local scope = os.getenv("BENCH_SCOPE")
local target = getenv("BENCH_TARGET", "unnamed")

wrk.method = "POST"
wrk.body = "grant_type=client_credentials"
if scope ~= nil and scope ~= "" then wrk.body = wrk.body .. "&scope=" .. formencode(scope) end
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
-- RFC 6749 §2.3.1: id and secret are application/x-www-form-urlencoded before Basic encoding.
wrk.headers["Authorization"] = "Basic " .. base64(formencode(client_id) .. ":" .. formencode(client_secret))

-- Per-thread state: each wrk thread has its own Lua state; setup() runs in the main state
-- and keeps a handle on every thread so done() can read their counters.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non200 = 0
  first_bad_status = 0
  first_bad_body = ""
end

function response(status, headers, body)
  if status ~= 200 then
    if non200 == 0 then
      first_bad_status = status
      first_bad_body = string.sub(body or "", 1, 200)
    end
    non200 = non200 + 1
  end
end

function done(summary, latency, requests)
  local non200_total, bad_status, bad_body = 0, 0, ""
  for _, t in ipairs(threads) do
    local n = t:get("non200") or 0
    if n > 0 and bad_status == 0 then
      bad_status = t:get("first_bad_status") or 0
      bad_body = t:get("first_bad_body") or ""
    end
    non200_total = non200_total + n
  end
  local secs = summary.duration / 1e6
  io.write(string.format(
    '{"bench":%s,"requests_per_sec":%.1f,"requests":%d,"duration_s":%.3f,"non_200":%d,' ..
    '"non_2xx_3xx":%d,"socket_errors":%s,"latency_ms":%s,"first_bad_status":%d,"first_bad_body":%s}\n',
    jsonstr(target), summary.requests / secs, summary.requests, secs, non200_total,
    summary.errors.status, common.socket_errors_json(summary.errors), common.latency_json(latency),
    bad_status, jsonstr(bad_body)))
end
