"""End-to-end: `outagemap demo` replays the built-in Microsoft 365 scenario in compressed time.
Checks that history and the outage land in the store, that the outage's cities are North
American, and that dependents (Mimecast, GoDaddy) rise too."""

import json
import os
import re
import sqlite3
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
        # 60 event minutes per second: the nine-hour outage replays in about ten seconds while the
        # test polls the live API for the detector's verdict.
        log_path = os.path.join(tmp, "demo.log")
        log = open(log_path, "w")
        proc = subprocess.Popen([BINARY, "demo", "--listen", f"127.0.0.1:{port}", "--data", data,
                                 "--speed", "60", "--history-days", "4", "--exit-after-replay"],
                                stdout=log, stderr=subprocess.STDOUT)
        first_outage = {}
        incidents = {}  # service -> incident id -> latest view
        client = Server(BINARY, data)
        client.port = port
        deadline = time.time() + 400
        while proc.poll() is None and time.time() < deadline:
            try:
                status, body = client.json("GET", "/api/v1/services?status=outage")
                if status == 200:
                    at = body["data"]["evaluated_at"]
                    for svc in body["data"]["services"]:
                        first_outage.setdefault(svc["id"], (at, svc["status_since"]))
                status, body = client.json("GET", "/api/v1/incidents?limit=100")
                if status == 200:
                    for inc in body["data"]["incidents"]:
                        incidents.setdefault(inc["service"], {})[inc["id"]] = inc
            except (OSError, ValueError):
                pass
            time.sleep(0.1)
        check(proc.wait(timeout=60) == 0, open(log_path).read()[-3000:])
        stderr = open(log_path).read()
        m = re.search(r"Outage starts at (\S+) event time", stderr)
        check(m, stderr[-2000:])
        outage_start = m.group(1)
        print(f"demo replayed in {time.time() - started:.0f} s; outage started {outage_start}")
        def minutes_after_start(rfc3339):
            t = time.strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ")
            s0 = time.strptime(outage_start, "%Y-%m-%dT%H:%M:%SZ")
            return (time.mktime(t) - time.mktime(s0)) / 60
        for svc in ("microsoft-365", "outlook", "teams", "mimecast", "godaddy"):
            check(svc in first_outage, f"{svc} never reported as an outage: {sorted(first_outage)}")
            at, since = first_outage[svc]
            print(f"  {svc}: outage since {minutes_after_start(since):+.0f} min, "
                  f"first seen in the API at {minutes_after_start(at):+.0f} min (event time)")
        m365_at, m365_since = first_outage["microsoft-365"]
        check(0 <= minutes_after_start(m365_since) <= 4, f"Microsoft 365 detected late: {m365_since}")
        # One outage, one incident per service, with the onset before the detection.
        for svc in ("microsoft-365", "outlook", "teams"):
            check(len(incidents.get(svc, {})) == 1, f"{svc} incidents: {incidents.get(svc)}")
            inc = next(iter(incidents[svc].values()))
            started, detected = minutes_after_start(inc["started_at"]), minutes_after_start(inc["detected_at"])
            print(f"  incident {inc['id']} {svc}: started {started:+.0f} min, detected {detected:+.0f} min, "
                  f"peak {inc['peak_reports_per_min']}/min, scope {inc['scope']}, "
                  f"top problem {inc['problems'][0]['problem'] if inc['problems'] else None}")
            check(started <= detected <= started + 5, inc)
        m365 = next(iter(incidents["microsoft-365"].values()))
        # Attribution: the dependents name Microsoft 365 as their likely upstream.
        check(m365["origin"] == "internal" and m365["upstream"] is None, m365)
        for svc in ("outlook", "teams", "mimecast", "godaddy"):
            inc = next(iter(incidents[svc].values()))
            check(inc["origin"] == "external" and inc["upstream"]["service"] == "microsoft-365"
                  and inc["upstream"]["incident"] == m365["id"], (svc, inc["upstream"]))
            check(m365["id"] in inc["related"], inc["related"])
        check(m365["errors"] and m365["errors"][0]["code"] == "451 4.3.2", m365["errors"])
        print(f"  Microsoft 365 errors: {[(e['text'], e['count']) for e in m365['errors']]}")
        check(-1 <= minutes_after_start(m365["started_at"]) <= 2, m365["started_at"])
        unaffected = set(first_outage) - {"microsoft-365", "outlook", "teams", "mimecast", "godaddy"}
        check(not unaffected, f"false outages during the demo: {sorted(unaffected)}")
        # The refusal to reuse a non-empty data dir is explicit.
        again = subprocess.run([BINARY, "demo", "--data", data, "--listen", f"127.0.0.1:{port}"],
                               capture_output=True, text=True, timeout=30)
        check(again.returncode == 2 and "not empty" in again.stderr, again.stderr)

        # The demo saved what each service's dispersion had learned when it stopped; a restarted
        # server starts each service from it (set one by hand to see it come back).
        meta = sqlite3.connect(os.path.join(data, "meta.db"))
        saved = dict(meta.execute("SELECT service, dispersion_micro FROM learned_dispersion"))
        check(len(saved) >= 20 and "microsoft-365" in saved, f"learned dispersions saved: {saved}")
        check(all(v >= 20000 for v in saved.values()), f"none below the floor 0.02: {saved}")
        with meta:
            meta.execute("UPDATE learned_dispersion SET dispersion_micro = 1234567 "
                         "WHERE service = 'netflix'")
        meta.close()
        s = Server(BINARY, data).start()
        try:
            deadline = time.time() + 30
            dispersion = None
            while time.time() < deadline and dispersion is None:
                status, body = s.json("GET", "/api/v1/services/netflix")
                dispersion = body["data"].get("dispersion")
                time.sleep(0.2)
            # Quiet minutes since (the detector warms up over the last 30) take 6e-5 off each;
            # the API prints 4 significant digits (1.234567 -> 1.235).
            check(dispersion is not None and 1.2 < dispersion <= 1.235,
                  f"netflix starts from its saved dispersion 1.2346: {dispersion}")

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
            check(body["data"]["rank"] == "excess", body["data"]["rank"])
            check(body["data"]["scope"] in ("national", "multinational"), body["data"]["scope"])
            check(all(p["country"] in ("US", "CA") for p in places), places)
            check(all(p["ratio"] > 3 for p in places), [(p["name"], p["ratio"]) for p in places])
            named = {"Los Angeles", "Minneapolis", "Phoenix", "Dallas", "Houston", "San Francisco", "Seattle"}
            check(len(named & {p["name"] for p in places}) >= 4, [p["name"] for p in places])
            # One outage, one incident: after the restart the records say that Microsoft 365's
            # incident covered its dependents, and where it was (regions of its footprint).
            status, body = s.json("GET", f"/api/v1/incidents/{m365['id']}")
            check(status == 200, body)
            group = body["data"]
            check({"outlook", "teams", "mimecast", "godaddy"} <= set(group["services"]), group["services"])
            check(len(group["members"]) >= 4 and group["merged_into"] is None, group)
            # North American cities (a few reports from across the borders are part of the outage).
            check({"US-CA", "US-TX", "US-NY"} <= set(group["regions"])
                  and all(r[:2] in ("US", "CA", "MX") for r in group["regions"]), group["regions"])
            last = incidents["microsoft-365"][m365["id"]]
            print(f"  group {m365['id']}: {len(group['services'])} services, status {group['status']}, "
                  f"regions {group['regions'][:6]}, crowd state {last['state']} at the end of the replay")
            member = next(iter(incidents["outlook"].values()))
            status, body = s.json("GET", f"/api/v1/incidents/{member['id']}")
            check(body["data"]["merged_into"] == m365["id"], body["data"])
        finally:
            s.stop()
    print("demo e2e: passed")


if __name__ == "__main__":
    main()
