"""End-to-end: the real binary over real HTTP. Posts valid, invalid and mixed batches, checks the
responses and the counts, limits, restart persistence, config errors, import and export."""

import json
import os
import subprocess
import sys
import tempfile
import time

from harness import Server, check

BINARY = sys.argv[1]


def now_ms():
    return int(time.time() * 1000)


def total_24h(server, service):
    status, body = server.json("GET", f"/api/v1/services/{service}")
    check(status == 200, f"service {service}: {status} {body}")
    return body["data"]["reports_last_24h"]


def test_reports_and_counts(tmp):
    s = Server(BINARY, os.path.join(tmp, "data")).start()
    try:
        # A single valid report.
        status, body = s.json("POST", "/api/v1/reports",
                              json.dumps({"service": "outlook", "lat": 44.98, "lon": -93.26,
                                          "reporter": "e2e-1", "problem": "email",
                                          "text": "451 4.3.2 temporary server issue"}))
        check(status == 200 and body["accepted"] == 1 and body["duplicates"] == 0, body)

        # A mixed batch: good lines are kept, bad lines are named by line and field.
        lines = [
            {"service": "outlook", "reporter": "e2e-2", "city": "Phoenix", "country": "US"},
            {"service": "outlook", "reporter": "e2e-2"},                       # duplicate
            {"service": "outlook", "lat": 123, "lon": 0},                      # bad lat
            "this is not json",
            {"service": "no-such-service"},
            {"service": "teams", "reporter": "e2e-3", "ts": now_ms() - 60000},
            {"service": "teams", "reporter": "e2e-4", "problem": "Internet"},  # unlisted: counts
        ]
        body_text = "\n".join(l if isinstance(l, str) else json.dumps(l) for l in lines) + "\n"
        status, body = s.json("POST", "/api/v1/reports", body_text, "application/x-ndjson")
        check(status == 200, (status, body))
        check(body["accepted"] == 3 and body["duplicates"] == 1, body)
        check(body["warnings"] == [{"line": 7, "warning": 'problem: "internet" is not a problem '
                                    'type of teams; counted as reported'}], body)
        errors = {e["line"]: e["error"] for e in body["rejected"]}
        check(errors.get(3) == "lat: must be between -90 and 90", errors)
        check(errors.get(4, "").startswith("invalid JSON") or errors.get(4, "").startswith("report must be"), errors)
        check(errors.get(5) == 'service: unknown service "no-such-service"', errors)
        check(len(errors) == 3, errors)

        # Nothing accepted: 400 with the errors; an unknown service alone: 404.
        status, body = s.json("POST", "/api/v1/reports", json.dumps({"service": "outlook", "lon": 5}))
        check(status == 400 and body["rejected"][0]["error"] == "lat: required with lon", body)
        status, body = s.json("POST", "/api/v1/reports", json.dumps({"service": "nope"}))
        check(status == 404 and "unknown service" in body["error"], body)

        # Wrong content type, method, endpoint.
        status, _, _ = s.request("POST", "/api/v1/reports", "{}", "text/plain")
        check(status == 415, status)
        status, _, _ = s.request("GET", "/api/v1/reports")
        check(status == 405, status)
        status, _, _ = s.request("GET", "/api/v1/unknown")
        check(status == 404, status)

        # Counts: outlook has 2 counted reports, teams 2 (one of a type it does not list).
        check(total_24h(s, "outlook") == 2, "outlook count")
        check(total_24h(s, "teams") == 2, "teams count")
        status, body = s.json("GET", "/api/v1/services/teams")
        check({"problem": "internet", "count": 1, "share": 0.5} in body["data"]["problems_last_60m"],
              body["data"]["problems_last_60m"])
        status, body = s.json("GET", "/api/v1/services/outlook/places?level=city")
        names = [p.get("name") for p in body["data"]["places"]]
        check(set(names) == {"Minneapolis", "Phoenix"}, names)
        status, body = s.json("GET", "/api/v1/services/outlook/places?level=region")
        check({p["region"] for p in body["data"]["places"]} == {"US-MN", "US-AZ"}, body)
        status, body = s.json("GET", "/api/v1/services/outlook/series?step=5m")
        check(status == 200 and sum(p[1] for p in body["data"]["points"]) == 2, body)
        status, body = s.json("GET", "/api/v1/services")
        listed = {x["id"]: x for x in body["data"]["services"]}
        check(len(listed) >= 100 and listed["teams"]["reports_last_15m"] == 2, len(listed))

        # Public reads can be cached briefly and revalidated: ETag, Cache-Control, 304.
        status, headers, data = s.request("GET", "/api/v1/services/discord/series?step=5m")
        etag = headers.get("ETag")
        check(status == 200 and etag and headers.get("Cache-Control") == "public, max-age=5",
              headers)
        status, headers, data = s.request("GET", "/api/v1/services/discord/series?step=5m",
                                          headers={"If-None-Match": etag})
        check(status == 304 and data == b"" and headers.get("ETag") == etag, (status, headers))
        s.request("POST", "/api/v1/reports", json.dumps(
            {"service": "discord", "city": "Phoenix", "country": "US", "reporter": "etag-1"}))
        status, headers, data = s.request("GET", "/api/v1/services/discord/series?step=5m",
                                          headers={"If-None-Match": etag})
        check(status == 200 and headers.get("ETag") != etag, "a new report, a new tag")
        status, headers, _ = s.request("GET", "/metrics")
        check("ETag" not in headers and "Cache-Control" not in headers, headers)

        # Limits: more than 10,000 lines is 413, and so is a body over 8 MiB.
        big = (json.dumps({"service": "slack"}) + "\n") * 10001
        status, body = s.json("POST", "/api/v1/reports", big, "application/x-ndjson")
        check(status == 413 and "10000" in body["error"], (status, body))
        status, _, data = s.request("POST", "/api/v1/reports", "x" * (8 * 1024 * 1024 + 1))
        check(status == 413, status)

        # /metrics speaks the Prometheus text format and counts the rejects by reason.
        status, headers, data = s.request("GET", "/metrics")
        text = data.decode()
        check(status == 200 and 'om_ingest_rejected_total{reason="invalid_field"}' in text, text[:400])
        check("om_log_bytes" in text and "om_ingest_queue_depth" in text, "metrics names")

        # Restart: counts come back from the log and snapshot.
        check(s.stop() == 0, "clean stop")
        s.start()
        check(total_24h(s, "outlook") == 2 and total_24h(s, "teams") == 2, "counts after restart")
    finally:
        s.stop()
        sys.stdout.write(s.output()[-2000:] if s.proc and s.proc.returncode else "")


def test_config_errors(tmp):
    cfg = os.path.join(tmp, "bad.toml")
    with open(cfg, "w") as f:
        f.write("[store]\nfsync = \"sometimes\"\n")
    r = subprocess.run([BINARY, "serve", "--config", cfg, "--data", os.path.join(tmp, "x")],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 2, r)
    check(f"{cfg}:2: store.fsync: must be one of always, interval" in r.stderr, r.stderr)
    # Usage errors the flag parser finds exit 2 too, naming the flag.
    r = subprocess.run([BINARY, "serve", "--no-such-flag"], capture_output=True, text=True,
                       timeout=30)
    check(r.returncode == 2 and "--no-such-flag" in r.stderr, r)
    r = subprocess.run([BINARY, "backtest", "--out", os.path.join(tmp, "o.ndjson")],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 2 and "--reports" in r.stderr, r)
    r = subprocess.run([BINARY, "--help"], capture_output=True, text=True, timeout=30)
    check(r.returncode == 0 and "detect-series" in r.stdout, r)


def test_import_export(tmp):
    data = os.path.join(tmp, "imported")
    csv_path = os.path.join(tmp, "reports.csv")
    t = now_ms() - 3600_000
    with open(csv_path, "w") as f:
        f.write("service,ts,problem,lat,lon,city,country,reporter,text\n")
        for i in range(50):
            f.write(f"zoom,{t + i * 1000},app,47.61,-122.33,,,{'r' + str(i)},\"call dropped, \"\"again\"\"\"\n")
        f.write("zoom,not-a-time,app,,,,,rx,\n")
    r = subprocess.run([BINARY, "import", csv_path, "--data", data, "--no-progress"],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, r.stderr)
    check(f"{csv_path}:52: ts: must be RFC 3339" in r.stderr, r.stderr)
    check("imported 50 reports (50 counted" in r.stderr, r.stderr)
    out = os.path.join(tmp, "export.ndjson")
    r = subprocess.run([BINARY, "export", "--data", data, "--out", out, "--service", "zoom"],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and "exported 50 reports" in r.stderr, r.stderr)
    rows = [json.loads(l) for l in open(out)]
    check(len(rows) == 50 and rows[0]["text"] == 'call dropped, "again"', rows[:1])
    check(all(row.get("region") == "US-WA" for row in rows), rows[:1])
    # Re-importing the export into a fresh dir gives the same reports.
    data2 = os.path.join(tmp, "reimported")
    slim = os.path.join(tmp, "slim.ndjson")
    with open(slim, "w") as f:
        for row in rows:
            f.write(json.dumps({k: row[k] for k in ("service", "ts", "problem", "lat", "lon", "text")}
                               | {"reporter": row["reporter"]}) + "\n")
    r = subprocess.run([BINARY, "import", slim, "--data", data2, "--no-progress"],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and "imported 50 reports (50 counted" in r.stderr, r.stderr)
    s = Server(BINARY, data2).start()
    try:
        check(total_24h(s, "zoom") == 50, "imported counts served")
    finally:
        s.stop()


def test_ip_placement(tmp):
    """Reports placed by IP through a configured .mmdb (a fixture built with the MaxMind writer)."""
    mmdb = os.path.join(tmp, "city.mmdb")
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    r = subprocess.run(["perl", os.path.join(repo, "tools/gazetteer/make_test_mmdb.pl"), mmdb],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "building the .mmdb fixture needs libmaxmind-db-writer-perl: " + r.stderr)
    cfg = os.path.join(tmp, "ip.toml")
    with open(cfg, "w") as f:
        f.write(f'[geo]\nip_database = "{mmdb}"\n')
    s = Server(BINARY, os.path.join(tmp, "data"), config=cfg).start()
    try:
        lines = [{"service": "netflix", "ip": "81.2.69.10", "reporter": "ip-1"},
                 {"service": "netflix", "ip": "2001:db8::1", "reporter": "ip-2"},
                 {"service": "netflix", "ip": "67.43.156.1", "reporter": "ip-3"}]  # country only
        status, body = s.json("POST", "/api/v1/reports", "\n".join(json.dumps(l) for l in lines),
                              "application/x-ndjson")
        check(status == 200 and body["accepted"] == 3, body)
        status, body = s.json("GET", "/api/v1/services/netflix/places?level=city")
        names = {p.get("name") for p in body["data"]["places"]}
        check(names == {"London", "Minneapolis"}, names)
        check(total_24h(s, "netflix") == 3, "the unplaced report still counts for its service")
    finally:
        s.stop()
    # A missing database is a configuration error that names the key.
    with open(cfg, "w") as f:
        f.write('[geo]\nip_database = "/nonexistent/city.mmdb"\n')
    r = subprocess.run([BINARY, "serve", "--config", cfg, "--data", os.path.join(tmp, "d2")],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 2 and "geo.ip_database" in r.stderr and "/nonexistent/city.mmdb" in r.stderr,
          r.stderr)


def test_api_keys(tmp):
    """`outagemap keys` beside a running server: a created key lifts the intake limit, and a
    revoked one is refused within seconds, without a restart."""
    data = os.path.join(tmp, "data")
    r = subprocess.run([BINARY, "keys", "create", "--name", "e2e importer", "--scopes", "report:write",
                        "--data", data], capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, r.stderr)
    token = r.stdout.strip()
    check(token.startswith("om_") and len(token) == 80, token)
    key_id = token[3:15]
    check("cannot be shown again" in r.stderr, r.stderr)
    bad = subprocess.run([BINARY, "keys", "create", "--name", "x", "--scopes", "report:read", "--data", data],
                         capture_output=True, text=True, timeout=30)
    check(bad.returncode == 2 and "unknown scope \"report:read\"" in bad.stderr, bad.stderr)
    config = os.path.join(tmp, "om.toml")
    with open(config, "w") as f:
        f.write("[api]\npublic_reports_per_minute = 60\npublic_burst = 20\n")
    s = Server(BINARY, data, config=config).start()
    try:
        batch = "".join(json.dumps({"service": "slack", "reporter": f"k{i}"}) + "\n" for i in range(100))
        status, _, body = s.request("POST", "/api/v1/reports", batch, "application/x-ndjson")
        check(status == 429 and b"over the per-client limit of 20" in body, (status, body))
        auth = {"Authorization": f"Bearer {token}"}
        status, _, body = s.request("POST", "/api/v1/reports", batch, "application/x-ndjson", headers=auth)
        check(status == 200 and json.loads(body)["accepted"] == 100, (status, body))
        listing = subprocess.run([BINARY, "keys", "list", "--data", data], capture_output=True, text=True,
                                 timeout=30)
        check(key_id in listing.stdout and "active" in listing.stdout and token[16:] not in listing.stdout,
              listing.stdout)
        r = subprocess.run([BINARY, "keys", "revoke", key_id, "--data", data], capture_output=True, text=True,
                           timeout=30)
        check(r.returncode == 0, r.stderr)
        refused = False
        for _ in range(50):  # bounded: 5 s
            status, headers, body = s.request("POST", "/api/v1/reports", "{\"service\":\"slack\"}",
                                              headers=auth)
            if status == 401:
                refused = True
                break
            time.sleep(0.1)
        check(refused and headers.get("WWW-Authenticate") == "Bearer", (status, body))
    finally:
        s.stop()


def main():
    with tempfile.TemporaryDirectory() as tmp:
        for test in (test_reports_and_counts, test_config_errors, test_import_export,
                     test_ip_placement, test_api_keys):
            sub = os.path.join(tmp, test.__name__)
            os.makedirs(sub)
            test(sub)
            print(f"ok   {test.__name__}")
    print("api e2e: all passed")


if __name__ == "__main__":
    main()
