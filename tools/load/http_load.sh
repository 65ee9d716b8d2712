#!/usr/bin/env bash
# HTTP load: outagemap against nginx answering `return 204`, both started here on 127.0.0.1 and
# stopped by PID, measured with wrk in the same run. Prints one line per run and the medians.
#
#   tools/load/http_load.sh [BINARY] [RUNS] [DURATION]
#
# wrk sends from one address, so the intake's limit per client is off by default here;
# OM_PUBLIC_LIMIT=N (reports per minute, also the burst) turns it on, to measure its cost with a
# limit no request reaches (e.g. OM_PUBLIC_LIMIT=1000000000).
#
# Scenarios (each RUNS times, interleaved with nginx so drift hits both):
#   single/interval/64   one report per request, fsync interval (default), 64 connections
#   single/always/64     the same with fsync always
#   single/always/512    fsync always, 512 connections
#   ndjson/interval/64   1000-line NDJSON batches (reports/s = requests/s x 1000)
#   healthz/-/64         GET /healthz: the ceiling of our HTTP layer without any report work
set -euo pipefail
cd "$(dirname "$0")/../.."
BINARY=${1:-build/release/outagemap}
RUNS=${2:-5}
DURATION=${3:-10s}
PUBLIC_LIMIT=${OM_PUBLIC_LIMIT:-0}
THREADS=2
source tools/load/common.sh
start_nginx

start_outagemap() {  # fsync policy -> sets OM_PORT, OM_PID
  OM_PORT=$(free_port)
  local dir="$work/om-$1-$RANDOM"
  cat > "$dir.toml" <<CONF
[server]
listen = "127.0.0.1:$OM_PORT"
[store]
data_dir = "$dir"
fsync = "$1"
queue_capacity = 4000000
[ingest]
dedupe_window_minutes = 0
[api]
public_reports_per_minute = $PUBLIC_LIMIT
public_burst = $(( PUBLIC_LIMIT > 0 ? PUBLIC_LIMIT : 1 ))
CONF
  "$BINARY" --log-level warn serve --config "$dir.toml" &
  OM_PID=$!
  pids+=($OM_PID)
  wait_http "http://127.0.0.1:$OM_PORT/readyz"
}

stop_outagemap() { kill "$OM_PID"; wait "$OM_PID" 2>/dev/null || true; }

write_batch "$work/batch.ndjson"

declare -A results
for run in $(seq 1 "$RUNS"); do
  r=$(wrk -t$THREADS -c64 -d"$DURATION" "http://127.0.0.1:$NGINX_PORT/" | rps)
  results[nginx/64]+="$r "
  echo "run $run nginx/64: $r req/s"
  for scenario in single/interval/64 single/always/64 single/always/512 ndjson/interval/64 healthz/interval/64; do
    IFS=/ read -r kind fsync conns <<<"$scenario"
    start_outagemap "$fsync"
    if [[ $kind == healthz ]]; then
      r=$(wrk -t$THREADS -c"$conns" -d"$DURATION" "http://127.0.0.1:$OM_PORT/healthz" | rps)
    elif [[ $kind == single ]]; then
      r=$(wrk -t$THREADS -c"$conns" -d"$DURATION" -s tools/load/report.lua "http://127.0.0.1:$OM_PORT/" | rps)
    else
      r=$(BODY_FILE="$work/batch.ndjson" wrk -t$THREADS -c"$conns" -d"$DURATION" -s tools/load/ndjson.lua "http://127.0.0.1:$OM_PORT/" | rps)
    fi
    stop_outagemap
    results[$scenario]+="$r "
    echo "run $run $scenario: $r req/s"
  done
done

echo
echo "medians over $RUNS runs of $DURATION (wrk -t$THREADS):"
nginx=$(tr ' ' '\n' <<<"${results[nginx/64]}" | grep . | median)
printf "  %-22s %10.0f req/s\n" "nginx return 204 (64)" "$nginx"
for scenario in single/interval/64 single/always/64 single/always/512 ndjson/interval/64 healthz/interval/64; do
  m=$(tr ' ' '\n' <<<"${results[$scenario]}" | grep . | median)
  if [[ $scenario == ndjson* ]]; then
    printf "  %-22s %10.0f req/s = %.0f reports/s\n" "$scenario" "$m" "$(awk -v m="$m" 'BEGIN {print m * 1000}')"
  else
    printf "  %-22s %10.0f req/s = %.2f x nginx\n" "$scenario" "$m" "$(awk -v m="$m" -v n="$nginx" 'BEGIN {print m / n}')"
  fi
done
