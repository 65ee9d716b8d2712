#!/usr/bin/env bash
# An outage day's crowd of viewers: VIEWERS live event streams on one server, page loads of the
# failing service's page and reports arriving at 10,000 a second, all at once. Started here on
# 127.0.0.1 and stopped by PID; the clients are tools/load/viewers.py and wrk.
#
#   tools/load/viewers.sh [BINARY] [VIEWERS] [SECONDS] [SERVICES]
#                         (defaults: build/release/outagemap, 10000, 60 s, 2000 services)
#   EVERYTHING=1 tools/load/viewers.sh ...   every viewer without a view, as before views existed
#
#   1. SERVICES services (the catalog's and auto-registered ones), the quiet intake rate: wrk,
#      8 connections of 1000-report batches for 10 s, as in overload.sh;
#   2. the crowd: VIEWERS streams arriving over 20 s (80% on the failing service's page, 15% on
#      the home list, 5% on the map), for SECONDS; meanwhile 10,000 reports/s spread over the
#      services, 20 loads/s of the service page (HTML and its four JSON reads), one probe report
#      a second whose arrival on the viewers' screens is timed; the server's RSS sampled;
#   3. the intake rate again, 15 s into the crowd, with everything above running;
#   4. checks: every viewer greeted and none dropped; at p99, a probe shown on the service pages
#      within 2 x the event interval (2 s), and on the home list within its counts interval
#      (10 s: quiet services' counts are sent at that pace) plus 2 x the event interval; the
#      intake under load at least half its quiet rate.
# Exit status 1 when a check fails. The clients share the machine's cores with the server.
set -euo pipefail
cd "$(dirname "$0")/../.."
BINARY=${1:-build/release/outagemap}
VIEWERS=${2:-10000}
SECONDS_=${3:-60}
SERVICES=${4:-2000}
INTERVAL_MS=2000
HOME_COUNTS_MS=10000
RAMP=20
source tools/load/common.sh

(( $(ulimit -n) > VIEWERS + 1000 )) || ulimit -n $((VIEWERS + 2000)) \
  || { echo "raise the open-file limit above $((VIEWERS + 1000))" >&2; exit 1; }

OM_PORT=$(free_port)
dir="$work/om"
cat > "$dir.toml" <<CONF
[server]
listen = "127.0.0.1:$OM_PORT"
max_connections = $((VIEWERS + 2000))
[store]
data_dir = "$dir"
[ingest]
dedupe_window_minutes = 0
auto_register_services = true
max_services = $((SERVICES + 1000))
[api]
public_reports_per_minute = 0
max_event_streams = $((VIEWERS + 1000))
event_interval_ms = $INTERVAL_MS
home_counts_interval_ms = $HOME_COUNTS_MS
CONF
"$BINARY" --log-level warn serve --config "$dir.toml" &
OM_PID=$!
pids+=($OM_PID)
url="http://127.0.0.1:$OM_PORT"
wait_http "$url/readyz"
rss_mib() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$OM_PID/status"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
acknowledged() { sed -n 's/.*acknowledged \([0-9]*\);.*/\1/p'; }

echo "1. $SERVICES services; quiet intake"
have=$(curl -s "$url/api/v1/services" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]["services"]))')
python3 - "$work/register.ndjson" "$((SERVICES - have))" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(max(0, int(sys.argv[2]))):
        f.write(json.dumps({"service": f"load-{i:05d}", "problem": "other", "reporter": f"r{i}"}) + "\n")
PY
curl -s -o /dev/null -w '' -H 'Content-Type: application/x-ndjson' \
  --data-binary @"$work/register.ndjson" "$url/api/v1/reports"
curl -s "$url/api/v1/services" | python3 -c 'import json,sys; print(",".join(s["id"] for s in json.load(sys.stdin)["data"]["services"]))' > "$work/services"
echo "   $(tr ',' '\n' < "$work/services" | wc -l) services"
write_batch "$work/batch.ndjson"
quiet=$(BODY_FILE="$work/batch.ndjson" wrk -t2 -c8 -d10s -s tools/load/overload.lua "$url/")
quiet_rate=$(( $(acknowledged <<<"$quiet") / 10 ))
echo "   quiet intake: $quiet_rate reports/s; RSS $(rss_mib) MiB"

echo "2. the crowd: $VIEWERS viewers over ${RAMP} s, then ${SECONDS_} s"
rss_before=$(rss_mib)
( while kill -0 "$OM_PID" 2>/dev/null; do rss_mib; echo; sleep 0.5; done ) > "$work/rss" &
sampler=$!
pids+=($sampler)
python3 tools/load/viewers.py crowd "$OM_PORT" --viewers "$VIEWERS" --seconds "$SECONDS_" \
  --ramp "$RAMP" --probe microsoft-365 --other-services teams,slack,zoom,aws,outlook \
  ${EVERYTHING:+--everything} --out "$work/crowd.json" > "$work/crowd.log" 2>&1 &
crowd=$!
pids+=($crowd)
python3 tools/load/viewers.py feed "$OM_PORT" --rate 10000 --seconds $((RAMP + SECONDS_)) \
  --services "$(cat "$work/services")" --skip microsoft-365 --probe-page microsoft-365 --pages 20 \
  --out "$work/feed.json" > "$work/feed.log" 2>&1 &
feeder=$!
pids+=($feeder)

sleep $((RAMP + 15))
echo "3. intake with the crowd connected"
streams=$(curl -s "$url/metrics" | awk '/^om_sse_streams_open / {print $2}')
loaded=$(BODY_FILE="$work/batch.ndjson" wrk -t2 -c8 -d10s -s tools/load/overload.lua "$url/")
loaded_rate=$(( $(acknowledged <<<"$loaded") / 10 ))
echo "   $streams streams open; intake: $loaded_rate reports/s ($(awk -v l="$loaded_rate" -v q="$quiet_rate" 'BEGIN {printf "%.2f", l / q}') x quiet)"

wait "$crowd" || { cat "$work/crowd.log" >&2; fail "the crowd client failed"; }
wait "$feeder" || { cat "$work/feed.log" >&2; fail "the feeder failed"; }
kill "$sampler" 2>/dev/null || true
peak=$(sort -n "$work/rss" | tail -1)
sse_bytes=$(curl -s "$url/metrics" | awk '/^om_sse_bytes_total / {print $2}')

echo "4. results"
python3 - "$work/crowd.json" "$work/feed.json" "$VIEWERS" "$INTERVAL_MS" "$quiet_rate" \
  "$loaded_rate" "$rss_before" "$peak" "$(rss_mib)" "$sse_bytes" "$HOME_COUNTS_MS" <<'PY'
import json, sys
crowd, feed = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
viewers, interval = int(sys.argv[3]), int(sys.argv[4]) / 1000
home_counts = int(sys.argv[11]) / 1000
quiet, loaded = int(sys.argv[5]), int(sys.argv[6])
before, peak, after, sse_bytes = int(sys.argv[7]), int(sys.argv[8]), int(sys.argv[9]), float(sys.argv[10])
print(f"   viewers greeted: {crowd['greeted']} of {viewers}; errors {crowd['errors'] or 'none'}")
for view, d in sorted(crowd["views"].items()):
    fresh = d["freshness_p99_s"]
    print(f"   view={view}: {d['viewers']} viewers, greeting median {d['greeting_bytes_median']} B, "
          f"{d['events']} events, {d['bytes'] / 1e6:.1f} MB received, {d['dropped']} dropped"
          + (f", freshness p99 {fresh:.2f} s" if fresh is not None else ""))
print(f"   freshness (probe sent -> shown), {crowd['freshness_samples']} samples over "
      f"{crowd['viewers_watching_probe']} viewers: p50 {crowd['freshness_p50_s']:.2f} s, "
      f"p99 {crowd['freshness_p99_s']:.2f} s, max {crowd['freshness_max_s']:.2f} s "
      f"(targets at p99: service pages {2 * interval:.0f} s, the home list "
      f"{home_counts + 2 * interval:.0f} s)")
print(f"   probes acknowledged {crowd['probes_acknowledged']}; viewers that saw every one: "
      f"{crowd['viewers_that_saw_every_probe']} of {crowd['viewers_watching_probe']}")
print(f"   feed: {feed['reports_per_s']:.0f} reports/s sent ({feed['reports_refused']} refused); "
      f"{feed['page_loads']} service-page loads, p50 {feed['page_load_p50_s'] * 1000:.0f} ms, "
      f"p99 {feed['page_load_p99_s'] * 1000:.0f} ms, errors {feed['page_errors'] or 'none'}")
print(f"   intake: quiet {quiet}/s, with the crowd {loaded}/s ({loaded / quiet:.2f} x)")
print(f"   server RSS: {before} MiB before the crowd, peak {peak} MiB, {after} MiB after; "
      f"{(peak - before) * 1024 / max(1, crowd['greeted']):.0f} KiB per viewer at the peak")
print(f"   event bytes sent by the server: {sse_bytes / 1e6:.0f} MB")
failed = []
if crowd["greeted"] < viewers:
    failed.append(f"{viewers - crowd['greeted']} viewers not greeted")
if any(d["dropped"] for d in crowd["views"].values()):
    failed.append("viewers dropped by the server")
# A service page is sent its service every round: a probe must show within two rounds. The home
# list hears of a quiet service's count every home_counts interval: within that and two rounds.
targets = {"service": 2 * interval, "home": home_counts + 2 * interval}
for view, target in targets.items():
    fresh = crowd["views"].get(view, {}).get("freshness_p99_s")
    if fresh is None or fresh > target:
        failed.append(f"view={view}: freshness p99 {fresh} s > {target} s")
if loaded * 2 < quiet:
    failed.append(f"intake with the crowd {loaded}/s < half of {quiet}/s")
if feed["reports_per_s"] < 9000:
    failed.append(f"the feeder reached only {feed['reports_per_s']:.0f} reports/s")
for f in failed:
    print("FAILED:", f)
sys.exit(1 if failed else 0)
PY
