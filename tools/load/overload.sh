#!/usr/bin/env bash
# Overload: the intake is offered far more than it can take, for FLOOD seconds, then left alone.
# Started here on 127.0.0.1 and stopped by PID; wrk or om_open_loop (bench/open_loop_client.cc,
# built beside BINARY in bench/) is the client.
#
#   tools/load/overload.sh [BINARY] [FLOOD_SECONDS] [CONNECTIONS]      (defaults: 60 s, 512)
#   OFFER=10 CPU_PERCENT=25 [MAX_CONNECTIONS=N] [MAX_INFLIGHT_MB=M] [MAX_QUEUE_DELAY_MS=D]
#     tools/load/overload.sh [BINARY] [FLOOD_SECONDS]
#
#   1. sustainable: 8 connections of 1000-report NDJSON batches for 10 s, all answered 200: the
#      rate the server takes; with OFFER, then 0.8 times that rate open loop for 10 s, all
#      answered 200 (admission control refuses nothing the server keeps up with);
#   2. flood, for FLOOD s, the server's RSS sampled twice a second. Every answer must be 200, 429
#      or 503, and a 429 or 503 must carry Retry-After.
#      - by default: wrk on CONNECTIONS connections of the same batches. wrk waits for each
#        answer before its next request, so it offers what the server answers, at more
#        concurrency: it shows queueing, not a rate above the sustainable one;
#      - with OFFER=N: om_open_loop sends the batches at N times the sustainable rate, on
#        schedule whether or not earlier ones were answered (at most 4000 in flight). One
#        client on this machine cannot offer ten times what a server on the other core takes,
#        so CPU_PERCENT=P first confines the server to P% of one core (a cgroup's CPU quota;
#        needs root and a writable cgroup cpu controller), as a server on a smaller machine;
#   3. recovery: the time until /readyz is 200 again and the write queue is empty, and a batch
#      accepted afterwards;
#   4. nothing acknowledged lost: what the server counts is at least every report acknowledged
#      (the per-address limit and de-duplication are off, so each acknowledged report counts).
# Exit status 1 when a check fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
BINARY=${1:-build/release/outagemap}
FLOOD=${2:-60}
CONNS=${3:-512}
source tools/load/common.sh

OM_PORT=$(free_port)
dir="$work/om"
cat > "$dir.toml" <<CONF
[server]
listen = "127.0.0.1:$OM_PORT"
max_connections = ${MAX_CONNECTIONS:-10000}
${MAX_INFLIGHT_MB:+max_inflight_body_mb = $MAX_INFLIGHT_MB}
${MAX_QUEUE_DELAY_MS:+max_queue_delay_ms = $MAX_QUEUE_DELAY_MS}
[store]
data_dir = "$dir"
[ingest]
dedupe_window_minutes = 0
[api]
public_reports_per_minute = 0
CONF
"$BINARY" --log-level warn serve --config "$dir.toml" &
OM_PID=$!
pids+=($OM_PID)
url="http://127.0.0.1:$OM_PORT"
if [[ -n ${CPU_PERCENT:-} ]]; then
  # cgroup v2 (cpu.max) or v1 (cpu.cfs_quota_us), whichever this machine mounts writable.
  if [[ -w /sys/fs/cgroup/cgroup.subtree_control ]] && grep -qw cpu /sys/fs/cgroup/cgroup.controllers; then
    cg=/sys/fs/cgroup/om_overload_$$
    mkdir "$cg"
    echo "$((CPU_PERCENT * 1000)) 100000" > "$cg/cpu.max"
  elif [[ -w /sys/fs/cgroup/cpu ]]; then
    cg=/sys/fs/cgroup/cpu/om_overload_$$
    mkdir "$cg"
    echo 100000 > "$cg/cpu.cfs_period_us"
    echo "$((CPU_PERCENT * 1000))" > "$cg/cpu.cfs_quota_us"
  else
    echo "CPU_PERCENT needs a writable cgroup cpu controller (run as root)" >&2
    exit 1
  fi
  echo "$OM_PID" > "$cg/cgroup.procs"
  trap 'cleanup; rmdir "$cg" 2>/dev/null || true' EXIT
  echo "the server is confined to $CPU_PERCENT% of one core ($cg)"
fi
wait_http "$url/readyz"

write_batch "$work/batch.ndjson"

acknowledged() { sed -n 's/.*acknowledged \([0-9]*\);.*/\1/p'; }
counted() {  # reports the server counts for the batch's services over the last day
  local total=0 n
  for s in outlook teams slack zoom; do
    n=$(curl -s "$url/api/v1/services/$s" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["reports_last_24h"])')
    total=$((total + n))
  done
  echo "$total"
}
rss_mib() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$OM_PID/status"; }
fail() { echo "FAILED: $*" >&2; exit 1; }

echo "1. sustainable: 8 connections, 10 s"
sustain=$(BODY_FILE="$work/batch.ndjson" wrk -t2 -c8 -d10s -s tools/load/overload.lua "$url/")
grep -E "answers|p50" <<<"$sustain" | sed 's/^/   /'
grep -q "429 0, 503 0, other 0" <<<"$sustain" || fail "refusals at the sustainable rate"
sustain_ack=$(acknowledged <<<"$sustain")
sustain_rate=$((sustain_ack / 10))
echo "   sustainable: $sustain_rate reports/s; RSS $(rss_mib) MiB"

if [[ -n ${OFFER:-} ]]; then
  # Below capacity nothing is refused: admission control acts on a queue that stands, not on
  # a rate.
  below=$(awk -v s="$sustain_rate" 'BEGIN {printf "%.1f", s * 0.8 / 1000}')
  echo "1b. below capacity: open loop, $below batches/s (0.8 x sustainable), 10 s"
  "$(dirname "$BINARY")/bench/om_open_loop" "$OM_PORT" --rate "$below" --seconds 10 \
    --body "$work/batch.ndjson" --out "$work/below.json" > "$work/below.log" 2>&1 \
    || { cat "$work/below.log" >&2; fail "the open-loop client failed"; }
  python3 - "$work/below.json" <<'PY' || fail "see above"
import json, sys
r = json.load(open(sys.argv[1]))
print(f"   answers {r['answers']}, failed {r['failed'] or 'none'}; latency p50 "
      f"{r['latency_p50_ms']} ms, p99 {r['latency_p99_ms']} ms")
if set(r["answers"]) != {"200"} or r["failed"] or r["not_sent"]:
    sys.exit("FAILED: a load below capacity was not all answered 200")
PY
  sustain_ack=$((sustain_ack + $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["acknowledged"])' "$work/below.json")))
fi

peak=0
( while kill -0 "$OM_PID" 2>/dev/null; do rss_mib; echo; sleep 0.5; done ) > "$work/rss" &
sampler=$!
pids+=($sampler)
if [[ -n ${OFFER:-} ]]; then
  rate=$(awk -v s="$sustain_rate" -v o="$OFFER" 'BEGIN {printf "%.1f", s * o / 1000}')
  echo "2. flood: open loop, $rate batches/s ($OFFER x sustainable), $FLOOD s"
  "$(dirname "$BINARY")/bench/om_open_loop" "$OM_PORT" --rate "$rate" --seconds "$FLOOD" \
    --body "$work/batch.ndjson" --out "$work/open.json" > "$work/open.log" 2>&1 \
    || { cat "$work/open.log" >&2; fail "the open-loop client failed"; }
  kill "$sampler" 2>/dev/null || true
  flood_ack=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["acknowledged"])' "$work/open.json")
  python3 - "$work/open.json" "$sustain_rate" <<'PY' || fail "see above"
import json, sys
r, sustain = json.load(open(sys.argv[1])), int(sys.argv[2])
offered = r["offered_requests_per_s"] * 1000
print(f"   sent {r['sent']} batches ({offered:.0f} reports/s offered, {offered / sustain:.1f} x "
      f"sustainable), {r['not_sent']} not sent (4000 in flight); answers {r['answers']}; "
      f"no answer {r['failed'] or 'none'}")
print(f"   latency from the due time, p50 {r['latency_p50_ms']} ms, p99 {r['latency_p99_ms']} ms "
      f"(by status); the client's own lag behind its schedule: p50 {r['send_lag_p50_ms']} ms, "
      f"max {r['max_send_lag_ms']} ms; {r['connections_opened']} connections opened")
for period in r["timeline"]:
    print(f"     due from {period['from_s']:>3} s: answers {period['answers']}, p50 "
          f"{period['latency_p50_ms']} ms, p99 {period['latency_p99_ms']} ms")
bad = {s: n for s, n in r["answers"].items() if s not in ("200", "429", "503")}
if bad:
    sys.exit(f"FAILED: answers other than 200, 429 and 503: {bad}")
if r["without_retry_after"]:
    sys.exit(f"FAILED: {r['without_retry_after']} refusals without Retry-After")
PY
  peak=$(sort -n "$work/rss" | tail -1)
  echo "   acknowledged $((flood_ack / FLOOD)) reports/s; peak RSS $peak MiB"
else
  echo "2. flood: $CONNS connections, $FLOOD s"
  flood=$(BODY_FILE="$work/batch.ndjson" wrk -t2 -c"$CONNS" -d"${FLOOD}s" --timeout 30s \
            -s tools/load/overload.lua "$url/")
  kill "$sampler" 2>/dev/null || true
  peak=$(sort -n "$work/rss" | tail -1)
  grep -E "answers|p50|Requests/sec|Socket errors" <<<"$flood" | sed 's/^/   /'
  flood_ack=$(acknowledged <<<"$flood")
  offered=$(awk '/Requests\/sec/ {printf "%.0f", $2 * 1000}' <<<"$flood")
  grep -q "other 0;" <<<"$flood" || fail "answers other than 200, 429 and 503"
  grep -q "without Retry-After 0" <<<"$flood" || fail "429 or 503 without Retry-After"
  echo "   offered $offered reports/s ($(awk -v o="$offered" -v s="$sustain_rate" 'BEGIN {printf "%.1f", o / s}') x sustainable), acknowledged $((flood_ack / FLOOD))/s; peak RSS $peak MiB"
fi

echo "3. recovery"
started=$(date +%s.%N)
for _ in $(seq 1 600); do
  depth=$(curl -s "$url/metrics" | awk '/^om_ingest_queue_depth / {print $2}')
  [[ $(curl -s -o /dev/null -w '%{http_code}' "$url/readyz") == 200 && ${depth%.*} == 0 ]] && break
  sleep 0.1
done
recovered=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}')
after=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/x-ndjson' \
          --data-binary @"$work/batch.ndjson" "$url/api/v1/reports")
[[ $after == 200 ]] || fail "a batch after the flood answered $after"
echo "   ready with an empty queue ${recovered} s after the flood; a batch then: 200; RSS $(rss_mib) MiB"

echo "4. nothing acknowledged lost"
total_ack=$((sustain_ack + flood_ack + 1000))
got=$(counted)
(( got >= total_ack )) || fail "counted $got < acknowledged $total_ack"
echo "   acknowledged $total_ack, counted $got"
