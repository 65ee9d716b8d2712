#!/usr/bin/env bash
# Public reads under load: a page's JSON answered in full, answered 304 to a revalidation, and
# served by nginx as a caching reverse proxy in front of outagemap (what `api.cache_seconds`'
# Cache-Control and ETag are for), beside nginx answering `return 204`. Everything is started
# here on 127.0.0.1 and stopped by PID; wrk measures in the same run. Prints each run and the
# medians.
#
#   tools/load/read_cache_load.sh [BINARY] [RUNS] [DURATION]
#
# Scenarios (each RUNS times, interleaved), 64 connections, 2 wrk threads:
#   services/200    GET /api/v1/services (every service of the built-in catalog), full answer
#   services/304    the same with If-None-Match: its ETag (no body)
#   services/proxy  the same through nginx's proxy_cache (revalidating with the ETag)
#   series/200      GET /api/v1/services/outlook/series?step=1m (a day of minutes)
#   series/proxy    the same through nginx's proxy_cache (revalidating with the ETag)
set -euo pipefail
cd "$(dirname "$0")/../.."
BINARY=${1:-build/release/outagemap}
RUNS=${2:-3}
DURATION=${3:-10s}
THREADS=2
source tools/load/common.sh
start_nginx

# outagemap with a day of Outlook reports (one a minute in five cities), so the series has a body.
python3 - "$work/day.ndjson" <<'PY'
import json, sys, time
now = int(time.time() // 60)
with open(sys.argv[1], "w") as f:
    for m in range(now - 1440, now):
        for i, city in enumerate(["Chicago", "Seattle", "Houston", "Phoenix", "Boston"]):
            f.write(json.dumps({"service": "outlook", "ts": m * 60000 + i, "city": city,
                                "country": "US", "reporter": f"r{m}-{i}"}) + "\n")
PY
"$BINARY" --log-level warn import --data "$work/om" --no-progress "$work/day.ndjson"
OM_PORT=$(free_port)
"$BINARY" --log-level warn serve --listen "127.0.0.1:$OM_PORT" --data "$work/om" &
pids+=($!)
wait_http "http://127.0.0.1:$OM_PORT/readyz"

# nginx as a cache in front: it keeps an answer for its max-age, then revalidates it with the
# ETag (proxy_cache_revalidate); one request per key goes upstream at a time (proxy_cache_lock).
PROXY_PORT=$(free_port)
mkdir -p "$work/proxy/cache"
run_nginx proxy "$PROXY_PORT" \
  "proxy_cache_path $work/proxy/cache keys_zone=reads:10m;
   upstream om { server 127.0.0.1:$OM_PORT; keepalive 64; }" \
  "proxy_pass http://om; proxy_http_version 1.1; proxy_set_header Connection \"\";
   proxy_cache reads; proxy_cache_revalidate on; proxy_cache_lock on;"

services="http://127.0.0.1:$OM_PORT/api/v1/services"
series="/api/v1/services/outlook/series?step=1m"
etag=$(curl -s -D - -o /dev/null "$services" | awk 'tolower($1) == "etag:" {print $2}' | tr -d '\r')
[[ -n $etag ]] || { echo "no ETag on $services" >&2; exit 1; }
printf 'sizes: services %s bytes, series %s bytes; ETag %s\n' \
  "$(curl -s "$services" | wc -c)" "$(curl -s "http://127.0.0.1:$OM_PORT$series" | wc -c)" "$etag"
[[ $(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$services") == 304 ]] ||
  { echo "no 304 to a matching If-None-Match" >&2; exit 1; }

declare -A results
scenarios=(nginx/204 services/200 services/304 services/proxy series/200 series/proxy)
for run in $(seq 1 "$RUNS"); do
  for scenario in "${scenarios[@]}"; do
    case $scenario in
      nginx/204) r=$(wrk -t$THREADS -c64 -d"$DURATION" "http://127.0.0.1:$NGINX_PORT/" | rps) ;;
      services/200) r=$(wrk -t$THREADS -c64 -d"$DURATION" "$services" | rps) ;;
      services/304) r=$(wrk -t$THREADS -c64 -d"$DURATION" -H "If-None-Match: $etag" "$services" | rps) ;;
      services/proxy) r=$(wrk -t$THREADS -c64 -d"$DURATION" "http://127.0.0.1:$PROXY_PORT/api/v1/services" | rps) ;;
      series/200) r=$(wrk -t$THREADS -c64 -d"$DURATION" "http://127.0.0.1:$OM_PORT$series" | rps) ;;
      series/proxy) r=$(wrk -t$THREADS -c64 -d"$DURATION" "http://127.0.0.1:$PROXY_PORT$series" | rps) ;;
    esac
    results[$scenario]+="$r "
    echo "run $run $scenario: $r req/s"
  done
done

echo
echo "medians over $RUNS runs of $DURATION (wrk -t$THREADS -c64):"
for scenario in "${scenarios[@]}"; do
  m=$(tr ' ' '\n' <<<"${results[$scenario]}" | grep . | median)
  printf "  %-14s %10.0f req/s\n" "$scenario" "$m"
done
