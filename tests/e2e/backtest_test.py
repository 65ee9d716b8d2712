"""End-to-end: `outagemap backtest` replays a generated report file in event time and writes the
incidents. Three days of normal traffic for two services, a spammer (one reporter, 6,000 reports
in an hour) who must not open an incident, then a 30-minute outage of one service in Minneapolis
and a nationwide outage of the other: exactly two incidents, with onset, detection within two
minutes, the cities and the scope. Then the reference method and `outagemap evaluate`."""

import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
import time

from harness import check

BINARY = sys.argv[1]


def main():
    random.seed(11)
    start = 1769000000000 - 1769000000000 % 60000  # a minute boundary in January 2026
    outage_from = start + (3 * 1440 + 600) * 60000
    outage_to = outage_from + 30 * 60000
    # A second, nationwide outage of the other service: every city at five times its usual rate.
    zoom_from = start + (3 * 1440 + 650) * 60000
    zoom_to = zoom_from + 20 * 60000
    # A spammer the day before: must not open an incident.
    spam_from = start + (2 * 1440 + 300) * 60000
    spam_to = spam_from + 60 * 60000
    cities = [(40.71, -74.01), (34.05, -118.24), (41.88, -87.63), (29.76, -95.36), (47.61, -122.33)]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "reports.ndjson.gz")
        n = 0
        with gzip.open(path, "wt") as f:
            for minute in range(3 * 1440 + 700):
                t0 = start + minute * 60000
                for service, rate in (("slack", 2.0), ("zoom", 1.0)):
                    k = sum(1 for _ in range(20) if random.random() < rate / 20)
                    for _ in range(k):
                        lat, lon = random.choice(cities)
                        f.write(json.dumps({"service": service, "ts": t0 + random.randrange(60000),
                                            "lat": lat, "lon": lon, "reporter": f"r{n}"}) + "\n")
                        n += 1
                if spam_from <= t0 < spam_to:
                    # One loud reporter: 100 reports a minute for an hour, all from one id.
                    for i in range(100):
                        f.write(json.dumps({"service": "slack", "ts": t0 + i * 600, "lat": 41.88,
                                            "lon": -87.63, "reporter": "spammer-1",
                                            "text": "DOWN DOWN DOWN"}) + "\n")
                        n += 1
                if zoom_from <= t0 < zoom_to:
                    for lat, lon in cities:
                        for i in range(4):
                            f.write(json.dumps({"service": "zoom", "ts": t0 + i * 7000, "lat": lat,
                                                "lon": lon, "reporter": f"z{n}", "problem": "app"}) + "\n")
                            n += 1
                if outage_from <= t0 < outage_to:
                    for i in range(40):
                        f.write(json.dumps({"service": "slack", "ts": t0 + i * 1000, "problem": "app",
                                            "lat": 44.98, "lon": -93.26, "reporter": f"o{n}",
                                            "text": "error 503 when sending"}) + "\n")
                        n += 1
            f.write('{"service": "slack", "lat": 200}\n')  # a bad line is named, not fatal
        out = os.path.join(tmp, "incidents.ndjson")
        started = time.time()
        r = subprocess.run([BINARY, "backtest", "--reports", path, "--out", out, "--no-progress"],
                           capture_output=True, text=True, timeout=300)
        check(r.returncode == 0, r.stderr[-2000:])
        check(f"{path}:{n + 1}: lon: required with lat" in r.stderr, r.stderr[-500:])
        print(f"backtest of {n} reports took {time.time() - started:.1f} s: {r.stderr.strip().splitlines()[-1]}")
        incidents = [json.loads(l) for l in open(out)]
        check(len(incidents) == 2, incidents)
        by_service = {i["service"]: i for i in incidents}
        zoom = by_service["zoom"]
        check(zoom["scope"] in ("national", "multinational"), zoom["scope"])
        inc = by_service["slack"]
        def minute(rfc3339):
            return (time.mktime(time.strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone) * 1000
        check(inc["service"] == "slack", inc)
        check(minute(inc["started_at"]) == outage_from, (inc["started_at"], outage_from))
        check(outage_from <= minute(inc["detected_at"]) <= outage_from + 2 * 60000, inc["detected_at"])
        check(inc["resolved_at"] is not None and minute(inc["resolved_at"]) >= outage_to, inc["resolved_at"])
        check(inc["cities"][0]["name"] == "Minneapolis" and inc["scope"] == "local", inc["cities"][:2])
        check(inc["problems"][0]["problem"] == "app", inc["problems"])
        check(inc["errors"][0]["code"] == "error 503", inc["errors"])
        check(inc["peak_reports_per_min"] >= 40, inc)
        print(f"incident {inc['id']}: started {inc['started_at']}, detected {inc['detected_at']}, "
              f"resolved {inc['resolved_at']}, top city {inc['cities'][0]['name']}, scope {inc['scope']}")
        # The naive reference method over the same file, then both scored against the truth.
        ref = os.path.join(tmp, "reference.ndjson")
        r = subprocess.run([BINARY, "backtest", "--reports", path, "--out", ref, "--no-progress",
                            "--method", "reference"], capture_output=True, text=True, timeout=300)
        check(r.returncode == 0, r.stderr[-2000:])
        truth = os.path.join(tmp, "truth.ndjson")
        with open(truth, "w") as f:
            f.write(json.dumps({"service": "slack", "start": outage_from, "end": outage_to,
                                "cities": [5037649], "scope": "local"}) + "\n")
            f.write(json.dumps({"service": "zoom", "start": zoom_from, "end": zoom_to,
                                "cities": [5128581, 5368361, 4887398, 4699066, 5809844],
                                "scope": "national"}) + "\n")
        r = subprocess.run([BINARY, "evaluate", "--truth", truth, "--incidents", out, "--reference", ref,
                            "--service-days", str(2 * 3.5)], capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, r.stderr)
        print(r.stdout)
        table = {}
        for row in r.stdout.splitlines()[1:]:
            name, ours, theirs = row.rsplit(None, 2)
            table[name.strip()] = (float(ours), float(theirs))
        check(table["recall"][0] == 1 and table["precision"][0] == 1, table)
        check(table["detection delay median (min)"][0] <= 2, table)
        check(table["localisation precision@10"][0] > table["localisation precision@10"][1], table)
        check(table["detection delay median (min)"][0] < table["detection delay median (min)"][1], table)
        check(table["scope accuracy"][0] == 1, table)
    print("backtest e2e: passed")


if __name__ == "__main__":
    main()
