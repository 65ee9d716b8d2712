"""End-to-end: `outagemap detect-series` on a generated count series, through the real binary.

Two weeks of 5-minute counts with a daily cycle (Poisson, 5 to 40 per row), then an event: ten
times the usual count for an hour. The run must echo one score per row in [0, 1], score 0 during
probation, alarm (score >= 0.5) within three rows of the event's start, and stay nearly quiet
before it. The live engine (`--engine live`, the server's detector) must open exactly one
outage, on the event. Then the error paths: a bad row names its line and keeps the rows before it,
a bad --option exits 2 naming the option, and each engine refuses the other's flags."""

import math
import random
import subprocess
import sys

from harness import check

BINARY = sys.argv[1]
T0 = 1396310400  # 2014-04-01 00:00:00 UTC
STEP = 300
EVENT_ROW = 3700


def series():
    random.seed(3)
    rows = []
    for i in range(4032):
        t = T0 + i * STEP
        hour = (t % 86400) / 3600
        mean = 22.5 + 17.5 * math.sin(2 * math.pi * (hour - 9) / 24)
        if EVENT_ROW <= i < EVENT_ROW + 12:
            mean *= 10
        # Poisson by inversion: the standard library has none.
        x, p, u = 0, math.exp(-mean), random.random()
        cumulative = p
        while u > cumulative and x < 10000:
            x += 1
            p *= mean / x
            cumulative += p
        rows.append((t, x))
    return rows


def run(stdin, *args):
    return subprocess.run([BINARY, "detect-series", *args], input=stdin, capture_output=True,
                          text=True, timeout=60)


def main():
    rows = series()
    csv = "timestamp,value\n" + "".join(f"{t},{x}\n" for t, x in rows)
    done = run(csv)
    check(done.returncode == 0, f"exit {done.returncode}: {done.stderr}")
    lines = done.stdout.splitlines()
    check(lines[0] == "timestamp,anomaly_score", f"header: {lines[0]!r}")
    check(len(lines) == len(rows) + 1, f"{len(lines) - 1} scores for {len(rows)} rows")
    scores = []
    for (t, _), line in zip(rows, lines[1:]):
        ts, score = line.split(",")
        check(ts == str(t), f"timestamp {ts} echoed for {t}")
        scores.append(float(score))
    check(all(0 <= s <= 1 for s in scores), "every score in [0, 1]")
    check(all(s == 0 for s in scores[:150]), "probation rows score 0")
    first_alarm = next((i for i in range(EVENT_ROW, len(scores)) if scores[i] >= 0.5), None)
    check(first_alarm is not None and first_alarm <= EVENT_ROW + 2,
          f"event at row {EVENT_ROW}: first alarm at {first_alarm}")
    before = sum(1 for s in scores[:EVENT_ROW] if s >= 0.5)
    # Calibrated at p ~ 3e-3 per statistic with a day of silence after each alarm: a few false
    # alarms in 12 days of Poisson noise, not dozens.
    check(before <= 6, f"{before} alarms before the event")
    print(f"detect-series: alarm {first_alarm - EVENT_ROW} rows after the event's start, "
          f"{before} alarms in the {EVENT_ROW} rows before")

    bad = "timestamp,value\n" + "".join(f"{t},{x}\n" for t, x in rows[:15]) + f"{T0},lots\n"
    done = run(bad)
    check(done.returncode == 1, f"bad row: exit {done.returncode}")
    check("stdin:17: value: not a number" in done.stderr, f"bad row: {done.stderr!r}")
    check(len(done.stdout.splitlines()) == 16, "the 15 rows before the bad one are scored")

    done = run(csv, "--option", "novelty_base=0")
    check(done.returncode == 2, f"bad option: exit {done.returncode}")
    check("novelty_base: must be positive" in done.stderr, f"bad option: {done.stderr!r}")
    done = run(csv, "--option", "suppress_seconds=3600")
    check(done.returncode == 0, f"suppress_seconds option: {done.stderr}")

    # The live engine: the server's detector on the same counts. It alarms (score 1, an incident
    # opening) on the event, and opens nothing before it.
    done = run(csv, "--engine", "live")
    check(done.returncode == 0, f"live: exit {done.returncode}: {done.stderr}")
    live = [float(line.split(",")[1]) for line in done.stdout.splitlines()[1:]]
    check(len(live) == len(rows), f"live: {len(live)} scores for {len(rows)} rows")
    check(all(0 <= s <= 1 for s in live), "live: every score in [0, 1]")
    onsets = [i for i, s in enumerate(live) if s == 1]
    check(onsets and EVENT_ROW <= onsets[0] <= EVENT_ROW + 2,
          f"live: event at row {EVENT_ROW}, outage onsets at {onsets[:5]}")
    check(len(onsets) == 1, f"live: one outage, {len(onsets)} onsets")
    print(f"detect-series --engine live: outage {onsets[0] - EVENT_ROW} rows after the start")
    done = run("timestamp,value\n" + f"{T0},1.5\n", "--engine", "live")
    check(done.returncode == 1 and "stdin:2: value: the live engine counts reports" in done.stderr,
          f"live, not a count: {done.returncode} {done.stderr!r}")
    done = run(csv, "--engine", "live", "--option", "novelty_base=3")
    check(done.returncode == 2 and "the live engine takes --config" in done.stderr,
          f"live with --option: {done.returncode} {done.stderr!r}")
    done = run(csv, "--config", "/nonexistent.toml")
    check(done.returncode == 2 and "--engine live" in done.stderr,
          f"series with --config: {done.returncode} {done.stderr!r}")
    print("detect-series e2e: ok")


if __name__ == "__main__":
    main()
