"""End-to-end: `outagemap demo` replays the built-in Microsoft 365 scenario in compressed time.
Checks that history and the outage land in the store, that the outage's cities are North
American, and that dependents (Mimecast, GoDaddy) rise too."""

import json
import os
import re
import subprocess
import sys
import tempfile
import time

from harness import Server, check, free_port

BINARY = sys.argv[1]


def main():
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "demo")
        port = free_port()
        started = time.time()
        r = subprocess.run([BINARY, "demo", "--listen", f"127.0.0.1:{port}", "--data", data,
                            "--speed", "240", "--history-days", "2", "--exit-after-replay"],
                           capture_output=True, text=True, timeout=500)
        check(r.returncode == 0, r.stderr[-3000:])
        m = re.search(r"Outage starts at (\S+) event time", r.stderr)
        check(m, r.stderr[-2000:])
        outage_start = m.group(1)
        print(f"demo replayed in {time.time() - started:.0f} s; outage started {outage_start}")
        # The refusal to reuse a non-empty data dir is explicit.
        again = subprocess.run([BINARY, "demo", "--data", data, "--listen", f"127.0.0.1:{port}"],
                               capture_output=True, text=True, timeout=30)
        check(again.returncode == 2 and "not empty" in again.stderr, again.stderr)

        s = Server(BINARY, data).start()
        try:
            rng = f"from={outage_start}&to={outage_start.replace('Z', '')}Z"
            def series(service, frm, to, step):
                status, body = s.json("GET", f"/api/v1/services/{service}/series?from={frm}&to={to}&step={step}")
                check(status == 200, body)
                return [p[1] for p in body["data"]["points"]]
            start_ms = int(time.mktime(time.strptime(outage_start, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone) * 1000
            hour = 3600_000
            before = series("microsoft-365", start_ms - 6 * hour, start_ms, "1h")
            during = series("microsoft-365", start_ms, start_ms + 6 * hour, "1h")
            check(sum(before) > 20, f"history present: {before}")
            check(min(during) > 20 * max(before), f"outage dwarfs normal: {before} vs {during}")
            peak15 = max(series("microsoft-365", start_ms, start_ms + 2 * hour, "15m"))
            check(10000 < peak15 < 20000, f"Microsoft 365 peak per 15 min: {peak15}")
            for dependent in ("outlook", "teams", "mimecast", "godaddy"):
                b = sum(series(dependent, start_ms - 6 * hour, start_ms, "1h"))
                d = sum(series(dependent, start_ms, start_ms + 6 * hour, "1h"))
                check(d > 10 * max(b, 5), f"{dependent} rises: {b} -> {d}")
            calm = sum(series("netflix", start_ms, start_ms + 6 * hour, "1h"))
            calm_before = sum(series("netflix", start_ms - 6 * hour, start_ms, "1h"))
            check(calm < 3 * max(calm_before, 10), f"netflix stays calm: {calm_before} -> {calm}")
            status, body = s.json("GET", f"/api/v1/services/microsoft-365/places?level=city&limit=10"
                                          f"&from={start_ms}&to={start_ms + 6 * hour}")
            places = body["data"]["places"]
            check(all(p["country"] in ("US", "CA") for p in places), places)
            named = {"Los Angeles", "Minneapolis", "Phoenix", "Dallas", "Houston", "San Francisco", "Seattle"}
            check(len(named & {p["name"] for p in places}) >= 4, [p["name"] for p in places])
        finally:
            s.stop()
    print("demo e2e: passed")


if __name__ == "__main__":
    main()
