#!/usr/bin/env python3
"""Writes N synthetic reports as NDJSON, in time order over DAYS days ending a week before now:
8 services, points spread over North America, one distinct reporter each. For throughput
measurements of import and backtest (no outage in it).

    tools/load/gen_reports.py N DAYS OUT.ndjson
"""
import sys
import time

n, days, path = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
services = ["outlook", "teams", "microsoft-365", "slack", "zoom", "gmail", "youtube", "discord"]
span = int(days * 86400 * 1000)
start = int(time.time() * 1000) - 7 * 86400 * 1000 - span
with open(path, "w") as f:
    for i in range(n):
        ts = start + (i * span) // n
        f.write('{"service":"%s","ts":%d,"lat":%.3f,"lon":%.3f,"reporter":"r%d","problem":"login"}\n'
                % (services[i % 8], ts, 25 + (i * 7 % 2300) / 100, -120 + (i * 13 % 5000) / 100, i))
