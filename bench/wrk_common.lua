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

return M
