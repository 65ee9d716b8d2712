#!/usr/bin/env python3
"""Splits NAB's window labels into two halves for hold-out scoring.

Within each category the files, sorted by name, go alternately to half A and half B, so both
halves hold every kind of series. Usage:

    tools/nab/split_halves.py ../shared/nab/labels/combined_windows.json OUT_DIR

writes OUT_DIR/half_a.json and OUT_DIR/half_b.json, each usable as nabscore.py --labels.
"""
import collections
import json
import os
import sys


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: split_halves.py combined_windows.json OUT_DIR")
    with open(argv[1]) as f:
        labels = json.load(f)
    by_category = collections.defaultdict(list)
    for name in sorted(labels):
        by_category[name.split("/")[0]].append(name)
    halves = ({}, {})
    for names in by_category.values():
        for i, name in enumerate(names):
            halves[i % 2][name] = labels[name]
    os.makedirs(argv[2], exist_ok=True)
    for suffix, half in zip("ab", halves):
        with open(os.path.join(argv[2], "half_%s.json" % suffix), "w") as f:
            json.dump(half, f, indent=1, sort_keys=True)
    print("half A: %d files, half B: %d files" % (len(halves[0]), len(halves[1])))


if __name__ == "__main__":
    main(sys.argv)
