#!/usr/bin/env python3
"""Lists what outagemap got wrong in worlds kept by `tools/eval/worlds.py --keep DIR`: the clear
outages it missed or found late or scoped wrong, and its false incidents, each with what the
truth says of it (service, kind, magnitude, excess, total ratio) so that a change is aimed at a
cause, not at a figure. Matching is evaluate's: same service, an incident overlapping
[start, end + 30 min].

  tools/eval/explain.py DIR [--method outagemap] [--late 2]

Only for training worlds: reading held-out worlds' failures is choosing parameters on them."""

import argparse
import datetime
import glob
import json
import os
import re
import sys

SLACK_MS = 30 * 60000


def ms(value):
    if isinstance(value, (int, float)):
        return int(value)
    return int(datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)


def read(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def when(t):
    return datetime.datetime.fromtimestamp(t / 1000, datetime.timezone.utc).strftime("%m-%d %H:%M")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("dir")
    p.add_argument("--method", default="outagemap")
    p.add_argument("--late", type=float, default=2, help="minutes after which a detection is late")
    a = p.parse_args()
    worlds = sorted(glob.glob(os.path.join(a.dir, "world-*")))
    if not worlds:
        sys.exit(f"explain.py: {a.dir}: no kept worlds (run tools/eval/worlds.py --keep {a.dir})")
    tally = {"missed": 0, "late": 0, "scope": 0, "false": 0}
    for world in worlds:
        found_path = os.path.join(world, a.method + ".ndjson")
        if not os.path.exists(found_path):
            continue
        with open(os.path.join(world, "simulate.txt")) as f:
            judged_from = ms(re.search(r"judged from (\S+)", f.read()).group(1))
        truth = [t for t in read(os.path.join(world, "truth.ndjson")) if ms(t["end"]) >= judged_from]
        found = [i for i in read(found_path) if ms(i["detected_at"]) >= judged_from]
        matched = [False] * len(found)
        print(f"== {os.path.basename(world)}")
        for t in truth:
            start, end = ms(t["start"]), ms(t["end"])
            first = None
            for k, i in enumerate(found):
                resolved = ms(i["resolved_at"]) if i.get("resolved_at") else 1 << 62
                if i["service"] != t["service"] or ms(i["started_at"]) > end + SLACK_MS \
                        or resolved < start:
                    continue
                matched[k] = True
                if first is None or ms(i["detected_at"]) < ms(first["detected_at"]):
                    first = i
            if not t.get("clear", True):
                continue
            what = (f"{t['service']:24} {t.get('kind', '?'):9} {when(start)} "
                    f"{(end - start) / 60000:5.0f} min  x{t.get('magnitude', 0):<7.1f} "
                    f"excess {t.get('excess', 0):8.0f}  total x{t.get('total_ratio', 0):.3f}")
            if first is None:
                tally["missed"] += 1
                print(f"  MISSED  {what}")
                continue
            delay = (ms(first["detected_at"]) - start) / 60000
            if delay > a.late:
                tally["late"] += 1
                print(f"  LATE {delay:4.0f} {what}")
            if t.get("scope") and first.get("scope") != t["scope"]:
                tally["scope"] += 1
                top = first["cities"][0]["name"] if first.get("cities") else "-"
                print(f"  SCOPE   {what}  truth {t['scope']}, said {first.get('scope')} ({top} first)")
        for k, i in enumerate(found):
            if matched[k]:
                continue
            tally["false"] += 1
            start = ms(i["started_at"])
            end = ms(i["resolved_at"]) if i.get("resolved_at") else start
            top = i["cities"][0]["name"] if i.get("cities") else "-"
            print(f"  FALSE   {i['service']:24} {when(start)} {(end - start) / 60000:5.0f} min  "
                  f"peak {i.get('peak_reports_per_min', 0)}/min over "
                  f"{i.get('expected_per_min_at_peak', 0):.2f}  {i.get('scope')}  {top}")
    print("totals: " + ", ".join(f"{k} {v}" for k, v in tally.items()))


if __name__ == "__main__":
    main()
