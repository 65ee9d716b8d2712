# Shared by the load scripts (sourced, not run): a scratch directory `work` and an array `pids`
# of processes to stop, both cleaned up on exit; free ports, bounded waits, medians, nginx
# answering `return 204` as the reference server, and requests/s out of wrk's output.

work=$(mktemp -d)
pids=()
cleanup() {
  # TERM, not KILL: nginx's workers outlive a killed master and would hold our stdout open.
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "wrk missing: run tools/install_deps.sh" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_http() {  # url: bounded wait (30 s) for a 2xx answer
  for _ in $(seq 1 600); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "$1") == 2?? ]] && return 0
    sleep 0.05
  done
  echo "no 2xx answer from $1" >&2
  return 1
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

run_nginx() {  # name port http-directives location-body: an nginx in $work/<name>, waited for
  local nginx dir="$work/$1"
  nginx=$(command -v nginx || echo /usr/sbin/nginx)
  [[ -x $nginx ]] || { echo "nginx missing: run tools/install_deps.sh" >&2; return 1; }
  mkdir -p "$dir/logs"
  # Workers as this user: nginx started as root would run them as nobody, who cannot enter $work.
  cat > "$dir/nginx.conf" <<CONF
user $(id -un);
worker_processes auto;
daemon off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy_temp;
  $3
  server { listen 127.0.0.1:$2; keepalive_requests 1000000; location / { $4 } }
}
CONF
  "$nginx" -p "$dir" -c "$dir/nginx.conf" &
  pids+=($!)
  wait_http "http://127.0.0.1:$2/" || { cat "$dir/logs/error.log" >&2; return 1; }
}

start_nginx() {  # sets NGINX_PORT; nginx answers 204 to every request
  NGINX_PORT=$(free_port)
  run_nginx nginx "$NGINX_PORT" "" "return 204;"
}

rps() {  # wrk output on stdin -> requests/s; fails on non-2xx or socket errors
  local out; out=$(cat)
  if grep -q "Non-2xx" <<<"$out"; then echo "non-2xx answers:" >&2; echo "$out" >&2; return 1; fi
  awk '/Requests\/sec/ {print $2}' <<<"$out"
}

write_batch() {  # file: one NDJSON batch of 1000 reports of 4 services, distinct reporters
  python3 - "$1" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(1000):
        f.write(json.dumps({"service": ["outlook", "teams", "slack", "zoom"][i % 4],
                            "problem": "login", "lat": 40 + (i % 50) * 0.1,
                            "lon": -100 + (i % 70) * 0.2, "reporter": f"b{i}"}) + "\n")
PY
}
