-- wrk script: one report per request, keep-alive; every request has its own reporter so that
-- nothing is a duplicate. Each wrk thread gets a distinct id in setup().
local next_id = 0
function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
end
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format(
    '{"service":"outlook","problem":"email","lat":44.98,"lon":-93.26,"reporter":"w%d-%d"}',
    id, counter)
  return wrk.format("POST", "/api/v1/reports", {["Content-Type"] = "application/json"}, body)
end
