#!/usr/bin/env python3
"""Judges detection on randomised worlds: for each seed of a set in tests/worlds/seeds.toml,
`outagemap simulate --random` draws a world, `backtest` runs outagemap and the reference method
over it, and `evaluate --json` counts what each found. The counts of all worlds are summed before
any figure is divided out, and the figures are printed beside the targets of docs/detection.md.

  tools/eval/worlds.py build/release/outagemap --set held_out [--days 21] [--services 80]
  tools/eval/worlds.py build/release/outagemap --set training --jobs 2 --json out.json

Tune on --set training (and quiet_training); report --set held_out and quiet_held_out."""

import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEEDS = os.path.join(ROOT, "tests", "worlds", "seeds.toml")
COUNTS = ["outages", "clear", "incidents", "detected", "clear_detected", "incidents_matched",
          "localised", "precision_at_k_sum", "excess_covered_sum", "scope_judged", "scope_right",
          "quiet_metro", "quiet_metro_found", "quiet_metro_first", "service_days"]


def run(binary, args, timeout):
    r = subprocess.run([binary] + args, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])}: exit {r.returncode}: {r.stderr[-1500:]}")
    return r


def judge_world(binary, seed, quiet, days, services, outages, tmp, config, simulator, keep,
                methods):
    """Simulates, backtests and evaluates one world; returns {method: counts} and timings. With
    `keep`, the world stays in tmp and a world already there (same seed and size) is not drawn
    again, so a detector change is judged by backtests alone."""
    out = os.path.join(tmp, f"world-{seed}-{days}d-{services}s-{outages}o" + ("-quiet" if quiet else ""))
    reports = os.path.join(out, "reports.ndjson")
    drawn = os.path.join(out, "simulate.txt")
    if not (keep and os.path.exists(drawn)):
        sim = ["simulate", "--random", "--seed", str(seed), "--out", out, "--days", str(days),
               "--services", str(services), "--outages", str(outages)]
        if quiet:
            sim.append("--quiet")
        r = run(simulator or binary, sim, 900)
        with open(drawn, "w") as f:
            f.write(r.stderr)
    with open(drawn) as f:
        said = f.read()
    service_days = float(re.search(r"([\d.]+) service-days", said).group(1))
    judged_from = re.search(r"judged from (\S+)", said).group(1)
    found = {}
    seconds = {}
    for method in methods:
        path = os.path.join(out, method + ".ndjson")
        started = time.monotonic()
        bt = run(binary, ["backtest", "--reports", reports, "--out", path, "--no-progress",
                          "--method", method] + (["--config", config] if config else []), 1800)
        seconds[method] = time.monotonic() - started
        found[method] = path
        m = re.search(r"backtest: (\d+) reports", bt.stderr)
        reports_n = int(m.group(1)) if m else 0
    reference = found.get("reference") or os.path.join(out, "reference.ndjson")
    if not os.path.exists(reference):
        sys.exit(f"worlds.py: {reference}: no reference backtest kept; run once without --no-reference")
    ev = run(binary, ["evaluate", "--truth", os.path.join(out, "truth.ndjson"),
                      "--incidents", found["outagemap"], "--reference", reference,
                      "--service-days", str(service_days), "--from", judged_from, "--json"], 600)
    result = {}
    for line in ev.stdout.splitlines():
        counts = json.loads(line)
        result[counts["method"]] = counts
    if not keep:
        for name in ("reports.ndjson", "outagemap.ndjson", "reference.ndjson"):
            os.remove(os.path.join(out, name))
    return {"seed": seed, "counts": result, "reports": reports_n, "seconds": seconds}


def median(values):
    v = sorted(values)
    if not v:
        return float("nan")
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def figures(counts):
    """The figures of summed counts (one method)."""
    def ratio(a, b):
        return counts[a] / counts[b] if counts[b] else float("nan")
    return {
        "outages": counts["outages"],
        "clear outages": counts["clear"],
        "incidents": counts["incidents"],
        "recall (all outages)": ratio("detected", "outages"),
        "recall (clear outages)": ratio("clear_detected", "clear"),
        "precision": ratio("incidents_matched", "incidents"),
        "false incidents per 1000 service-days":
            1000 * (counts["incidents"] - counts["incidents_matched"]) / counts["service_days"],
        "median delay, clear (min)": median(counts["delays_min"]),
        "precision@10 within 30 km": ratio("precision_at_k_sum", "localised"),
        "share of excess covered": ratio("excess_covered_sum", "localised"),
        "scope accuracy": ratio("scope_right", "scope_judged"),
        "quiet metros found": ratio("quiet_metro_found", "quiet_metro"),
        "quiet metros placed first": ratio("quiet_metro_first", "quiet_metro_found"),
    }


# Targets of issue #11 (docs/detection.md): (figure, comparison, value).
TARGETS = [("recall (clear outages)", ">=", 0.98), ("precision", ">=", 0.98),
           ("false incidents per 1000 service-days", "<=", 1.0),
           ("median delay, clear (min)", "<=", 2.0), ("precision@10 within 30 km", ">=", 0.9),
           ("scope accuracy", ">=", 0.9), ("quiet metros found", ">=", 0.98),
           ("quiet metros placed first", ">=", 0.98)]


def meets(value, op, target):
    if value != value:  # nan: nothing to judge
        return None
    return value >= target if op == ">=" else value <= target


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("binary")
    p.add_argument("--set", required=True,
                   help="training, validation, held_out, quiet_training or quiet_held_out "
                        "(tests/worlds/seeds.toml)")
    p.add_argument("--seeds", type=int, default=0, help="only the first N seeds of the set")
    p.add_argument("--days", type=int, default=21)
    p.add_argument("--services", type=int, default=80)
    p.add_argument("--outages", type=int, default=48)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--config", help="a server config whose [detect] settings the backtest uses")
    p.add_argument("--simulate-with", metavar="BINARY",
                   help="draw the worlds with this binary (an earlier build's detector is then "
                        "judged on today's worlds)")
    p.add_argument("--json", help="also write the per-world counts and the figures here")
    p.add_argument("--keep", metavar="DIR",
                   help="keep the worlds and backtests in DIR and reuse worlds already there "
                        "(tools/eval/explain.py reads them)")
    p.add_argument("--no-reference", action="store_true",
                   help="with --keep: reuse the kept reference backtest instead of running it")
    a = p.parse_args()
    with open(SEEDS, "rb") as f:
        sets = tomllib.load(f)
    if a.set not in sets:
        sys.exit(f"worlds.py: --set: one of {', '.join(sets)}")
    seeds = sets[a.set][:a.seeds] if a.seeds else sets[a.set]
    quiet = a.set.startswith("quiet")
    worlds = []
    if a.no_reference and not a.keep:
        sys.exit("worlds.py: --no-reference needs --keep")
    methods = ("outagemap",) if a.no_reference else ("outagemap", "reference")
    if a.keep:
        os.makedirs(a.keep, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch, \
            concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
        tmp = a.keep or scratch
        futures = [pool.submit(judge_world, a.binary, s, quiet, a.days, a.services, a.outages, tmp,
                               a.config, a.simulate_with, bool(a.keep), methods) for s in seeds]
        for n, fut in enumerate(concurrent.futures.as_completed(futures), 1):
            w = fut.result()
            worlds.append(w)
            o = figures({**w["counts"]["outagemap"], "delays_min": w["counts"]["outagemap"]["delays_min"]})
            print(f"[{n}/{len(seeds)}] seed {w['seed']}: {w['reports']} reports, "
                  f"{o['clear outages']} clear outages, recall {o['recall (clear outages)']:.3f}, "
                  f"{o['incidents']} incidents, precision {o['precision']:.3f}, backtest "
                  f"{w['reports'] / w['seconds']['outagemap']:,.0f} reports/s", file=sys.stderr)
    worlds.sort(key=lambda w: w["seed"])
    summed = {}
    for method in ("outagemap", "reference"):
        total = {k: 0 for k in COUNTS}
        total["delays_min"] = []
        for w in worlds:
            c = w["counts"][method]
            for k in COUNTS:
                total[k] += c[k]
            total["delays_min"] += c["delays_min"]
        summed[method] = figures(total)
    ours, ref = summed["outagemap"], summed["reference"]
    print(f"set {a.set}: seeds {seeds}, {a.days} days, {a.services} services, "
          f"{a.outages if not quiet else 0} primary outages per world")
    print(f"{'figure':40} {'outagemap':>10} {'reference':>10}  target")
    for name in ours:
        target = next((t for t in TARGETS if t[0] == name), None)
        verdict = ""
        if target:
            met = meets(ours[name], target[1], target[2])
            verdict = f"{target[1]} {target[2]:g}: " + {True: "met", False: "MISSED", None: "-"}[met]
        print(f"{name:40} {ours[name]:10.3f} {ref[name]:10.3f}  {verdict}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"set": a.set, "seeds": seeds, "days": a.days, "services": a.services,
                       "worlds": worlds, "figures": summed}, f, indent=1)


if __name__ == "__main__":
    main()
