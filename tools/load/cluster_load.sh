#!/usr/bin/env bash
# HTTP load on cluster mode: three nats-servers (JetStream, R3) and three `outagemap serve
# --cluster` nodes, against one embedded server and nginx answering `return 204`, all started
# here on 127.0.0.1 and stopped by PID, measured with wrk in the same run. Prints one line per
# run and the medians: acknowledged reports/s, p99 latency, and the largest follower lag seen.
#
#   tools/load/cluster_load.sh [BINARY] [RUNS] [DURATION]
#
# Scenarios (each RUNS times, interleaved so that drift hits all):
#   nginx                 GET / on nginx (return 204), 64 connections: the ceiling of this machine
#   embedded/single       one report per request, one embedded server, 64 connections
#   cluster/single        the same spread over the three nodes (one wrk per node, 22 connections)
#   embedded/ndjson       batches of 1000 distinct reports per request, 8 connections
#   cluster/ndjson        the same over the three nodes (3 connections each)
# Every report has a reporter of its own (report.lua, ndjson_unique.lua): nothing is a duplicate.
# wrk sends from one address, so the intake's limit per client is off here.
# On one 2-core machine the three NATS servers, three nodes and wrk share two cores, so the
# cluster figures are those of one small machine doing the work of six, not of a cluster.
set -euo pipefail
cd "$(dirname "$0")/../.."
BINARY=${1:-build/release/outagemap}
RUNS=${2:-3}
DURATION=${3:-10s}
NATS=$(command -v nats-server || echo /usr/sbin/nats-server)
[[ -x $NATS ]] || { echo "nats-server missing: run tools/install_deps.sh" >&2; exit 1; }

source tools/load/common.sh
start_nginx

# A fresh cluster (three nats-servers, three nodes) for each run: sets NODE_PORTS.
start_cluster() {
  local run=$1 dir="$work/cluster-$1" client=() route=()
  mkdir -p "$dir"
  for i in 0 1 2; do client+=("$(free_port)"); route+=("$(free_port)"); done
  for i in 0 1 2; do
    cat > "$dir/s$i.conf" <<CONF
server_name: "s$i"
listen: "127.0.0.1:${client[$i]}"
jetstream { store_dir: "$dir/s$i", max_memory_store: 64MB, max_file_store: 8GB }
cluster { name: "om-load", listen: "127.0.0.1:${route[$i]}",
          routes: ["nats-route://127.0.0.1:${route[0]}", "nats-route://127.0.0.1:${route[1]}", "nats-route://127.0.0.1:${route[2]}"] }
CONF
    "$NATS" -c "$dir/s$i.conf" >"$dir/s$i.log" 2>&1 &
    pids+=($!)
  done
  local urls="nats://127.0.0.1:${client[0]},nats://127.0.0.1:${client[1]},nats://127.0.0.1:${client[2]}"
  NODE_PORTS=()
  NODE_PIDS=()
  for i in 0 1 2; do
    local port; port=$(free_port)
    cat > "$dir/n$i.toml" <<CONF
[ingest]
dedupe_window_minutes = 0
[api]
public_reports_per_minute = 0
public_burst = 1
CONF
    "$BINARY" --log-level warn serve --cluster "$urls" --node-id "n$i" --listen "127.0.0.1:$port" \
      --data "$dir/n$i" --config "$dir/n$i.toml" >"$dir/n$i.log" 2>&1 &
    pids+=($!)
    NODE_PIDS+=($!)
    NODE_PORTS+=("$port")
  done
  for port in "${NODE_PORTS[@]}"; do wait_http "http://127.0.0.1:$port/readyz"; done
}
stop_cluster() {
  for p in "${NODE_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${NODE_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  pkill -f "$work/cluster-$1/s" 2>/dev/null || true
}

start_embedded() {
  EMB_PORT=$(free_port)
  local dir="$work/embedded-$RANDOM"
  mkdir -p "$dir"
  printf '[ingest]\ndedupe_window_minutes = 0\n[store]\nqueue_capacity = 4000000\n[api]\npublic_reports_per_minute = 0\npublic_burst = 1\n' >"$dir.toml"
  "$BINARY" --log-level warn serve --listen "127.0.0.1:$EMB_PORT" --data "$dir" --config "$dir.toml" &
  EMB_PID=$!
  pids+=($EMB_PID)
  wait_http "http://127.0.0.1:$EMB_PORT/readyz"
}
stop_embedded() { kill "$EMB_PID"; wait "$EMB_PID" 2>/dev/null || true; }

# wrk output -> "req/s p99_ms"; fails on non-2xx answers.
summarise() {
  local out; out=$(cat)
  if grep -q "Non-2xx" <<<"$out"; then echo "non-2xx answers:" >&2; echo "$out" >&2; return 1; fi
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}' <<<"$out")
  echo "$rps $p99"
}

# Largest om_stream_lag_messages of the three nodes, sampled every 0.5 s while wrk runs.
sample_lag() {
  local max=0 v
  while [[ -e "$work/sampling" ]]; do
    for port in "${NODE_PORTS[@]}"; do
      v=$(curl -s "http://127.0.0.1:$port/metrics" | awk '$1 == "om_stream_lag_messages" {print int($2)}')
      [[ -n $v && $v -gt $max ]] && max=$v
    done
    echo "$max" >"$work/lag"
    sleep 0.5
  done
}

# Three wrk processes at once, one per node; prints "summed req/s, largest p99 ms".
wrk_cluster() {  # connections per node, script, [env]
  local conns=$1 script=$2 outs=()
  touch "$work/sampling"; echo 0 >"$work/lag"
  sample_lag & local sampler=$!
  for i in 0 1 2; do
    wrk -t1 -c"$conns" -d"$DURATION" --latency -s "$script" "http://127.0.0.1:${NODE_PORTS[$i]}/" >"$work/wrk$i" &
    outs+=($!)
  done
  for p in "${outs[@]}"; do wait "$p"; done
  rm -f "$work/sampling"; wait "$sampler" || true
  local total=0 worst=0
  for i in 0 1 2; do
    read -r rps p99 < <(summarise <"$work/wrk$i")
    total=$(awk -v a="$total" -v b="$rps" 'BEGIN {print a + b}')
    worst=$(awk -v a="$worst" -v b="$p99" 'BEGIN {print (b > a ? b : a)}')
  done
  echo "$total $worst $(cat "$work/lag")"
}

declare -A rate p99 lag
record() { rate[$1]+="$2 "; p99[$1]+="$3 "; lag[$1]+="${4:-0} "; }

for run in $(seq 1 "$RUNS"); do
  read -r r p < <(wrk -t2 -c64 -d"$DURATION" --latency "http://127.0.0.1:$NGINX_PORT/" | summarise)
  record nginx "$r" "$p"; echo "run $run nginx: $r req/s, p99 $p ms"

  start_embedded
  read -r r p < <(wrk -t2 -c64 -d"$DURATION" --latency -s tools/load/report.lua "http://127.0.0.1:$EMB_PORT/" | summarise)
  record embedded/single "$r" "$p"; echo "run $run embedded/single: $r reports/s, p99 $p ms"
  read -r r p < <(wrk -t2 -c8 -d"$DURATION" --latency -s tools/load/ndjson_unique.lua "http://127.0.0.1:$EMB_PORT/" | summarise)
  r=$(awk -v r="$r" 'BEGIN {print r * 1000}')
  record embedded/ndjson "$r" "$p"; echo "run $run embedded/ndjson: $r reports/s, p99 $p ms"
  stop_embedded

  start_cluster "$run"
  read -r r p l < <(wrk_cluster 22 tools/load/report.lua)
  record cluster/single "$r" "$p" "$l"; echo "run $run cluster/single: $r reports/s, p99 $p ms, largest lag $l messages"
  read -r r p l < <(wrk_cluster 3 tools/load/ndjson_unique.lua)
  r=$(awk -v r="$r" 'BEGIN {print r * 1000}')
  record cluster/ndjson "$r" "$p" "$l"; echo "run $run cluster/ndjson: $r reports/s, p99 $p ms, largest lag $l messages"
  stop_cluster "$run"
done

echo
echo "medians over $RUNS runs of $DURATION:"
for s in nginx embedded/single cluster/single embedded/ndjson cluster/ndjson; do
  m=$(tr ' ' '\n' <<<"${rate[$s]}" | grep . | median)
  q=$(tr ' ' '\n' <<<"${p99[$s]}" | grep . | median)
  l=$(tr ' ' '\n' <<<"${lag[$s]}" | grep . | median)
  if [[ $s == cluster/* ]]; then
    printf "  %-18s %10.0f reports/s   p99 %8.1f ms   largest follower lag %s messages\n" "$s" "$m" "$q" "$l"
  else
    printf "  %-18s %10.0f %s/s   p99 %8.1f ms\n" "$s" "$m" "$([[ $s == nginx ]] && echo req || echo reports)" "$q"
  fi
done
