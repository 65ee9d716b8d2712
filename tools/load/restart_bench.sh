#!/usr/bin/env bash
# Restart time: how long until /readyz answers 200 after a kill -9, with N reports on disk.
#   tools/load/restart_bench.sh [BINARY] [N] [RUNS]
# Builds a data dir with N reports (outagemap import of a generated NDJSON file), then RUNS
# times: start, post a little, kill -9, time the restart to ready. Then the worst case: the same
# with the snapshot deleted, so the whole log is replayed.
set -euo pipefail
cd "$(dirname "$0")/../.."
BINARY=$(realpath "${1:-build/release/outagemap}")
N=${2:-10000000}
RUNS=${3:-3}
work=$(mktemp -d)
pid=""
cleanup() { [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

python3 - "$work/reports.ndjson" "$N" <<'PY'
import sys, time
path, n = sys.argv[1], int(sys.argv[2])
services = ["outlook", "teams", "microsoft-365", "slack", "zoom", "gmail", "youtube", "discord"]
now = int(time.time() * 1000)
span = 13 * 86400 * 1000
with open(path, "w") as f:
    for i in range(n):
        ts = now - span + (i * span) // n
        f.write('{"service":"%s","ts":%d,"lat":%.3f,"lon":%.3f,"reporter":"r%d","problem":"login"}\n'
                % (services[i % 8], ts, 25 + (i * 7 % 2300) / 100, -120 + (i * 13 % 5000) / 100, i))
PY
echo "generated $N reports ($(du -h "$work/reports.ndjson" | cut -f1))"
/usr/bin/time -f "import: %e s, max RSS %M KiB" "$BINARY" import "$work/reports.ndjson" --data "$work/data" --no-progress
rm "$work/reports.ndjson"
echo "log on disk: $(du -sh "$work/data/log" | cut -f1), snapshot $(du -h "$work/data/snapshot" | cut -f1)"

# Starts the server and sets READY_SECONDS to the time until /readyz answered 200 (bounded: 60 s).
time_to_ready() {
  local start end
  start=$(date +%s.%N)
  "$BINARY" --log-level warn serve --data "$work/data" --listen "127.0.0.1:$port" \
    >>"$work/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 6000); do
    curl -s -m 1 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz" 2>/dev/null \
      | grep -q 200 && break
    sleep 0.01
  done
  end=$(date +%s.%N)
  READY_SECONDS=$(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.2f", e - s}')
}

for run in $(seq 1 "$RUNS"); do
  time_to_ready
  t=$READY_SECONDS
  for i in $(seq 1 20); do
    curl -s -o /dev/null -H 'Content-Type: application/json' \
      -d "{\"service\":\"outlook\",\"reporter\":\"k$run-$i\"}" "http://127.0.0.1:$port/api/v1/reports"
  done
  kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  echo "run $run: ready after ${t} s (snapshot + log tail)"
done
rm -f "$work/data/snapshot"
time_to_ready
t=$READY_SECONDS
kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=""
echo "no snapshot: ready after ${t} s (whole log replayed)"
