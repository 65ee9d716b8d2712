-- wrk script: NDJSON batches of LINES reports (default 1000) per request, every line with a
-- reporter of its own, so that no batch repeats another: in cluster mode a repeated batch would
-- be recognised by the stream's duplicate window and cost almost nothing, which is not a load.
local lines = tonumber(os.getenv("LINES") or "1000")
local services = {"outlook", "teams", "slack", "zoom"}
local next_id = 0
function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
end
local counter = 0
request = function()
  local parts = {}
  for i = 1, lines do
    counter = counter + 1
    parts[i] = string.format(
      '{"service":"%s","problem":"login","lat":%.1f,"lon":%.1f,"reporter":"u%d-%d"}',
      services[counter % 4 + 1], 40 + (counter % 50) * 0.1, -100 + (counter % 70) * 0.2, id, counter)
  end
  return wrk.format("POST", "/api/v1/reports", {["Content-Type"] = "application/x-ndjson"},
                    table.concat(parts, "\n") .. "\n")
end
