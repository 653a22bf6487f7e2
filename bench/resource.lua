-- wrk script: what a resource server sends on every request it receives, token introspection or
-- userinfo, with the access tokens bench/node/flows.mjs got beforehand (one per chain).
--
--   BENCH_OP=introspect|userinfo BENCH_TOKENS=FILE BENCH_PATH=/path?query BENCH_SUB=SUB \
--   [BENCH_CLIENT_ID=ID BENCH_AUTHORIZATION="Basic …"] [BENCH_TARGET=name] \
--     wrk -t1 -c32 -d15s -s bench/resource.lua http://HOST:PORT
--
-- BENCH_TOKENS has one access token per line; a thread sends them in turn. introspect: POST
-- BENCH_PATH with token=…&token_type_hint=access_token and Authorization BENCH_AUTHORIZATION;
-- every answer must be 200 with "active": true, "sub" BENCH_SUB and "client_id" BENCH_CLIENT_ID.
-- userinfo: GET BENCH_PATH with Authorization: Bearer …; every answer must be 200 with "sub"
-- BENCH_SUB. Any other answer is a failure: counted, the first one kept.
--
-- done() prints one line of JSON starting with {"resource": ...}: the count, wrk's latency
-- percentiles, the failures and the answers per whole second (by the clock's seconds; the
-- partial first and last ones are left out).

-- The shared helpers, beside this script.
local common = dofile((debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./") .. "wrk_common.lua")
local getenv, formencode, jsonstr = common.getenv, common.formencode, common.jsonstr

local op = getenv("BENCH_OP")
if op ~= "introspect" and op ~= "userinfo" then error("BENCH_OP must be introspect or userinfo") end
local path = getenv("BENCH_PATH")
local tokens_file = getenv("BENCH_TOKENS")
local target = getenv("BENCH_TARGET", "unnamed")

-- A Lua pattern matching `"key": "value"` (any spaces) for a literal value.
local function field(key, value)
  local literal = function(s) return (s:gsub("%p", "%%%0")) end
  return '"' .. literal(key) .. '"%s*:%s*' .. literal(value)
end
local expected = { field("sub", '"' .. getenv("BENCH_SUB") .. '"') }
if op == "introspect" then
  table.insert(expected, field("active", "true"))
  table.insert(expected, field("client_id", '"' .. getenv("BENCH_CLIENT_ID") .. '"'))
end

local threads = {}

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

-- Each thread's requests, built once: one per token.
local requests, next_request

function init(args)
  requests = {}
  for token in io.lines(tokens_file) do
    if token ~= "" then
      if op == "introspect" then
        table.insert(requests, wrk.format("POST", path, {
          ["Content-Type"] = "application/x-www-form-urlencoded",
          ["Accept"] = "application/json",
          ["Authorization"] = getenv("BENCH_AUTHORIZATION"),
        }, "token=" .. formencode(token) .. "&token_type_hint=access_token"))
      else
        table.insert(requests, wrk.format("GET", path, {
          ["Accept"] = "application/json",
          ["Authorization"] = "Bearer " .. token,
        }))
      end
    end
  end
  if #requests == 0 then error(tokens_file .. " has no token") end
  next_request = index % #requests
  failures = 0
  first_failure = ""
  per_second = {}
  started = os.time()
end

function request()
  next_request = next_request % #requests + 1
  return requests[next_request]
end

function response(status, headers, body)
  local second = os.time() - started + 1
  per_second[second] = (per_second[second] or 0) + 1
  local ok = status == 200
  for i = 1, #expected do
    if not ok then break end
    ok = string.find(body, expected[i]) ~= nil
  end
  if not ok then
    if failures == 0 then first_failure = op .. " " .. status .. " " .. string.sub(body or "", 1, 300) end
    failures = failures + 1
  end
end

function done(summary, latency, requests)
  local failed, first, seconds = 0, "", {}
  for _, t in ipairs(threads) do
    local n = t:get("failures") or 0
    if n > 0 and first == "" then first = t:get("first_failure") or "" end
    failed = failed + n
    for s, count in pairs(t:get("per_second") or {}) do seconds[s] = (seconds[s] or 0) + count end
  end
  local last = 0
  for s in pairs(seconds) do last = math.max(last, s) end
  local whole = {}
  for s = 2, last - 1 do table.insert(whole, tostring(seconds[s] or 0)) end
  io.write(string.format(
    '{"resource":%s,"requests":%d,"duration_s":%.6f,"failures":%d,"first_failure":%s,' ..
    '"socket_errors":%s,"latency_ms":%s,"per_second":[%s]}\n',
    jsonstr(target), summary.requests, summary.duration / 1e6, failed, jsonstr(first),
    common.socket_errors_json(summary.errors), common.latency_json(latency), table.concat(whole, ",")))
end
