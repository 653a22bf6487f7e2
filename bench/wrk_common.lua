-- Helpers shared by the wrk scripts (token.lua, resource.lua), which load this file with
-- dofile() from their own directory.

local M = {}

-- The environment variable `name`; `default` when unset or empty, an error when there is none.
function M.getenv(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then
    if default == nil then error("environment variable " .. name .. " is required") end
    return default
  end
  return v
end

-- application/x-www-form-urlencoded encoding of one value.
function M.formencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

-- `s` as a JSON string.
function M.jsonstr(s)
  local escaped = tostring(s):gsub('[%c"\\]', function(c)
    if c == '"' or c == "\\" then return "\\" .. c end
    return string.format("\\u%04x", c:byte())
  end)
  return '"' .. escaped .. '"'
end

-- wrk's latency summary as a JSON object, in ms.
function M.latency_json(latency)
  local function ms(p) return latency:percentile(p) / 1000.0 end
  return string.format('{"mean":%.3f,"p50":%.3f,"p90":%.3f,"p99":%.3f,"p99_9":%.3f,"max":%.3f}',
    latency.mean / 1000.0, ms(50), ms(90), ms(99), ms(99.9), latency.max / 1000.0)
end

-- wrk's socket errors (summary.errors) as a JSON object.
function M.socket_errors_json(e)
  return string.format('{"connect":%d,"read":%d,"write":%d,"timeout":%d}', e.connect, e.read, e.write, e.timeout)
end

return M
