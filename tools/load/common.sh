# Shared by the load scripts (sourced, not run): free ports, bounded waits, medians, and nginx
# answering `return 204` as the reference server. Callers set `work` (a scratch directory) and
# `pids` (an array of PIDs they stop on exit) before sourcing.

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

start_nginx() {  # sets NGINX_PORT; nginx answers 204 to every request
  local nginx
  nginx=$(command -v nginx || echo /usr/sbin/nginx)
  [[ -x $nginx ]] || { echo "nginx missing: run tools/install_deps.sh" >&2; return 1; }
  NGINX_PORT=$(free_port)
  mkdir -p "$work/nginx/logs"
  cat > "$work/nginx/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  server { listen 127.0.0.1:$NGINX_PORT; keepalive_requests 1000000; location / { return 204; } }
}
CONF
  "$nginx" -p "$work/nginx" -c "$work/nginx/nginx.conf" &
  pids+=($!)
  wait_http "http://127.0.0.1:$NGINX_PORT/"
}
