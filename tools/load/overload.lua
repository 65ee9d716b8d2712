-- wrk script for tools/load/overload.sh: NDJSON batches (BODY_FILE) as fast as the connections
-- go, counting every answer by status and summing the reports acknowledged ("accepted" of each
-- 200), so that the script can check them against what the server counted afterwards.
-- The request: ndjson.lua's (run from the repository's root, as the load scripts are).
dofile("tools/load/ndjson.lua")

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function init()
  ok, too_many, unavailable, other, accepted, retry_after_missing = 0, 0, 0, 0, 0, 0
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
    accepted = accepted + tonumber(body:match('"accepted":(%d+)') or "0")
  elseif status == 429 or status == 503 then
    if status == 429 then too_many = too_many + 1 else unavailable = unavailable + 1 end
    if headers["Retry-After"] == nil then retry_after_missing = retry_after_missing + 1 end
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local totals = {ok = 0, too_many = 0, unavailable = 0, other = 0, accepted = 0,
                  retry_after_missing = 0}
  for _, t in ipairs(threads) do
    for k, _ in pairs(totals) do totals[k] = totals[k] + t:get(k) end
  end
  io.write(string.format(
      "answers: 200 %d, 429 %d, 503 %d, other %d; acknowledged %d; without Retry-After %d\n",
      totals.ok, totals.too_many, totals.unavailable, totals.other, totals.accepted,
      totals.retry_after_missing))
  io.write(string.format("p50 %.1f ms, p99 %.1f ms\n", latency:percentile(50) / 1000,
                         latency:percentile(99) / 1000))
end
