-- wrk script: NDJSON batches of LINES reports per request (the body is read from BODY_FILE).
-- Run the server with ingest.dedupe_window_minutes = 0 so every line is counted, not flagged.
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
local body = f:read("*a")
f:close()
wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/x-ndjson"
wrk.path = "/api/v1/reports"
