#!/usr/bin/env bash
# A fuzzing campaign over every target in fuzz/ (or the ones named): each runs BUDGET, a number
# of executions (libFuzzer's -runs) or a time such as 600s (-max_total_time), from a copy of its
# seed corpus, with ASan and UBSan (the `fuzz` preset).
# Prints one line per target: executions, executions per second, corpus growth, and the crash
# file when a property failed or a sanitizer fired (minimise it with -minimize_crash=1 and commit
# it to fuzz/regressions/<target>/ with the fix). docs/reliability.md keeps the figures.
#
# Usage: tools/fuzz/campaign.sh BUDGET [TARGET...]     (PARALLEL=2 runs two targets at once)
# Exit status: 1 when any target crashed.
set -euo pipefail
cd "$(dirname "$0")/../.."
budget=${1:?usage: tools/fuzz/campaign.sh BUDGET [TARGET...]}
if [[ $budget == *s ]]; then limit="-max_total_time=${budget%s}"; else limit="-runs=$budget"; fi
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in fuzz/*_fuzz.cc; do t=$(basename "$f" _fuzz.cc); targets+=("$t"); done
fi
cmake --preset fuzz >/dev/null
cmake --build build/fuzz -j "$(nproc)" --target "${targets[@]/%/_fuzz}" >/dev/null
out=$(mktemp -d /tmp/om-fuzz.XXXXXX)
echo "campaign: ${#targets[@]} targets, $budget each; logs and crashes in $out"

run_one() {
  local t=$1 corpus="$out/$1/corpus"
  mkdir -p "$corpus" "$out/$t/crashes"
  find "fuzz/corpus/$t" -type f ! -name README.md -exec cp {} "$corpus/" \;
  local seeds started finished rc=0
  seeds=$(ls "$corpus" | wc -l)
  started=$(date +%s.%N)
  "build/fuzz/fuzz/${t}_fuzz" "$limit" -print_final_stats=1 -rss_limit_mb=2048 \
      -artifact_prefix="$out/$t/crashes/" "$corpus" >"$out/$t/log" 2>&1 || rc=$?
  finished=$(date +%s.%N)
  local execs
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t/log" | tail -1)
  local crash
  crash=$(ls "$out/$t/crashes" | head -1)
  printf '%-18s %12s execs %8.0f s %9.0f exec/s  corpus %s -> %s  %s\n' "$t" "${execs:-?}" \
      "$(echo "$finished - $started" | bc)" "$(echo "${execs:-0} / ($finished - $started)" | bc -l)" \
      "$seeds" "$(ls "$corpus" | wc -l)" \
      "$([ "$rc" -eq 0 ] && echo ok || echo "CRASH $out/$t/crashes/$crash")"
}
export -f run_one
export out limit
printf '%s\n' "${targets[@]}" | xargs -P "${PARALLEL:-1}" -I{} bash -c 'run_one {}' | tee "$out/summary"
! grep -q CRASH "$out/summary"
