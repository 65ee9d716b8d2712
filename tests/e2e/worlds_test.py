"""Held-out randomised worlds at reduced size (tests/worlds/seeds.toml, tools/eval/worlds.py):
two worlds with outages and one quiet world with only traps, judged as docs/detection.md reports
the full-size ones. The thresholds sit a little below what this release measures on these very
worlds, so a regression fails; where that is below the issue's target the docs say so (the
targets themselves are in tools/eval/worlds.py and docs/detection.md)."""

import json
import os
import subprocess
import sys
import tempfile

from harness import check

BINARY = sys.argv[1]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORLDS = os.path.join(ROOT, "tools", "eval", "worlds.py")
SIZE = ["--days", "14", "--services", "40", "--outages", "24"]

# Measured on these worlds with this release (docs/detection.md#randomised-worlds): recall of the
# 20 clear outages 0.900 (0.800 before the metro test and the baseline's error, 2026-12-08),
# precision 0.950 (19 of 20), 1.786 false incidents per 1000 service-days (1 in 560), median
# delay 4.5 minutes, precision@10 0.981, scope 0.722, 3 of the 4 quiet metros found; the quiet
# world 0 incidents. The median delay was 3 minutes before: no outage was found later, but the
# metro test now finds a quiet metro 130 minutes in, and the median of 18 delays is higher than
# that of 17 (found by both binaries: 27 -> 22 and 393 -> 373 minutes, the rest the same).
# Each threshold allows a little worse.
RECALL_CLEAR = 0.8        # target 0.98: missed
PRECISION = 0.85          # target 0.98: missed
FALSE_PER_1000 = 4.0      # target 1: missed (1 false incident in 560 service-days is 1.8)
DELAY_MEDIAN = 5          # target 2: missed
SCOPE = 0.6               # target 0.9: missed
QUIET_METROS = 0.5        # target 0.98: missed
QUIET_FALSE_PER_1000 = 1.8  # one false incident in the quiet world's 560 service-days


def judge(tmp, which, seeds):
    out = os.path.join(tmp, which + ".json")
    r = subprocess.run([sys.executable, WORLDS, BINARY, "--set", which, "--seeds", str(seeds),
                        "--json", out] + SIZE, capture_output=True, text=True, timeout=1200)
    print(r.stdout, r.stderr)
    check(r.returncode == 0, f"worlds.py --set {which}: {r.stderr[-2000:]}")
    with open(out) as f:
        return json.load(f)["figures"]


def main():
    with tempfile.TemporaryDirectory() as tmp:
        f = judge(tmp, "held_out", 2)
        ours, ref = f["outagemap"], f["reference"]
        check(ours["clear outages"] >= 10, ours)
        check(ours["recall (clear outages)"] >= RECALL_CLEAR, ours)
        check(ours["precision"] >= PRECISION, ours)
        check(ours["false incidents per 1000 service-days"] <= FALSE_PER_1000, ours)
        check(ours["median delay, clear (min)"] <= DELAY_MEDIAN, ours)
        check(ours["precision@10 within 30 km"] >= 0.85, ours)
        check(ours["scope accuracy"] >= SCOPE, ours)
        check(ours["quiet metros found"] >= QUIET_METROS, ours)
        # Better than the naive reference where it counts most: precision, false alarms, delay.
        check(ours["precision"] > ref["precision"], (ours, ref))
        check(ours["false incidents per 1000 service-days"] <
              ref["false incidents per 1000 service-days"], (ours, ref))
        check(ours["median delay, clear (min)"] < ref["median delay, clear (min)"], (ours, ref))

        q = judge(tmp, "quiet_held_out", 1)
        check(q["outagemap"]["outages"] == 0, q)
        check(q["outagemap"]["false incidents per 1000 service-days"] <= QUIET_FALSE_PER_1000, q)
        check(q["outagemap"]["incidents"] < q["reference"]["incidents"], q)
    print("held-out worlds: passed")


if __name__ == "__main__":
    main()
