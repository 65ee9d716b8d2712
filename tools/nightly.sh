#!/usr/bin/env bash
# The long checks that do not fit in `make test` (docs/reliability.md), for a nightly job:
#   1. the kill -9 crash test for 100 rounds (6 in make test);
#   2. a fuzzing campaign over every fuzz target (FUZZ_BUDGET each, default 600s);
#   3. the intake overload script: 60 s of 512 connections, then ten times the sustainable rate
#      open loop against a server on a quarter core (where a cgroup cpu controller is writable;
#      otherwise it says it skipped that part);
#   4. the crowd of 10,000 live viewers (tools/load/viewers.sh).
# Each prints its figures; the script fails at the first that fails.
#
#   tools/nightly.sh [FUZZ_BUDGET]
set -euo pipefail
cd "$(dirname "$0")/.."
budget=${1:-600s}
make build
echo "== crash test, 100 rounds"
python3 tests/e2e/crash_test.py build/release/outagemap 100 | tail -1
echo "== fuzzing, $budget per target"
PARALLEL=$(nproc) tools/fuzz/campaign.sh "$budget"
echo "== overload"
tools/load/overload.sh build/release/outagemap 60 512
if [[ -w /sys/fs/cgroup/cgroup.subtree_control || -w /sys/fs/cgroup/cpu ]]; then
  OFFER=10 CPU_PERCENT=25 tools/load/overload.sh build/release/outagemap 60
else
  echo "SKIPPED: ten times the sustainable rate needs a writable cgroup cpu controller (root)"
fi
echo "== a crowd of 10,000 live viewers"
tools/load/viewers.sh build/release/outagemap 10000 60 2000
