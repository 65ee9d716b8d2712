"""End-to-end: the web-facing routes of the real binary over real HTTP on 127.0.0.1 — the UI page
and its CSRF cookie, gzip and ETag on assets, the status badge, city autocomplete, the report
form (CSRF, per-client limit) and the Server-Sent Events stream, which must carry a report
posted after connecting. Standard library only; every wait is bounded."""

import http.client
import threading
import json
import os
import sys
import tempfile
import time

from harness import Server, check, metric

BINARY = sys.argv[1]


def read_events(port, until, timeout=20, path="/api/v1/events", headers=None, ids=None):
    """Reads an event stream until `until(events)` holds; returns (status, headers, events).
    The `id:` of each event is appended to `ids` when given."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request("GET", path, headers=headers or {})
    r = conn.getresponse()
    headers = dict(r.getheaders())
    events, buf = [], b""
    deadline = time.time() + timeout
    while time.time() < deadline and not until(events):
        chunk = r.fp.read1(65536) if hasattr(r.fp, "read1") else r.read(1)
        if not chunk:
            break
        buf += chunk
        while b"\n\n" in buf:
            block, buf = buf.split(b"\n\n", 1)
            fields = dict(line.split(": ", 1) for line in block.decode().split("\n")
                          if ": " in line and not line.startswith(":"))
            if "event" in fields:
                events.append((fields["event"], json.loads(fields["data"])))
                if ids is not None:
                    ids.append(fields.get("id", ""))
    conn.close()
    return r.status, headers, events


def main():
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "om.toml")
        with open(config, "w") as f:
            f.write("[api]\nevent_interval_ms = 200\nhome_counts_interval_ms = 200\n"
                    "form_reports_per_minute = 60\nform_burst = 2\n")
        server = Server(BINARY, os.path.join(tmp, "data"), config=config).start()
        try:
            # The page, with a CSRF cookie and a policy that runs no inline script.
            status, headers, body = server.request("GET", "/services/outlook")
            check(status == 200 and b"/assets/app.js" in body, (status, body[:200]))
            cookie = headers.get("Set-Cookie", "")
            check(cookie.startswith("om_csrf=") and "SameSite=Strict" in cookie, headers)
            token = cookie.split(";")[0].split("=", 1)[1]
            check("script-src 'self'" in headers.get("Content-Security-Policy", ""), headers)
            check(server.request("GET", "/services/no-such-service")[0] == 404, "unknown service page")
            print("ok   page and cookie")

            # Assets: gzip on request, 304 on a matching ETag.
            status, headers, gz = server.request("GET", "/assets/app.js", headers={"Accept-Encoding": "gzip"})
            check(status == 200 and headers.get("Content-Encoding") == "gzip" and gz[:2] == b"\x1f\x8b", headers)
            status, _, _ = server.request("GET", "/assets/app.js", headers={"If-None-Match": headers["ETag"]})
            check(status == 304, status)
            status, headers, topo = server.request("GET", "/assets/maps/states-10m.json")
            check(status == 200 and json.loads(topo)["type"] == "Topology", status)
            print("ok   assets")

            status, headers, svg = server.request("GET", "/badge/microsoft-365.svg")
            check(status == 200 and headers["Content-Type"] == "image/svg+xml", headers)
            check(b">Microsoft 365</text>" in svg and b">no problems</text>" in svg, svg)
            print("ok   badge")

            status, body = server.json("GET", "/api/v1/geo/cities?q=s%C3%A3o%20pa&limit=2")
            check(status == 200 and body["data"]["cities"][0]["name"] == "São Paulo", body)
            print("ok   city autocomplete")

            # The event stream: the full state first, then a report posted through the form shows
            # up as a change of outlook's counts.
            form = {"service": "outlook", "problem": "login", "city": "Minneapolis",
                    "country": "US", "reporter": "e2e-web-1"}
            good = {"Cookie": f"om_csrf={token}", "X-CSRF-Token": token,
                    "Origin": f"http://127.0.0.1:{server.port}", "Sec-Fetch-Site": "same-origin"}
            status, _, body = server.request("POST", "/api/v1/web/reports", json.dumps(form),
                                             headers={"Cookie": f"om_csrf={token}"})
            check(status == 403 and b"X-CSRF-Token does not match" in body, (status, body))

            result = {}

            def listen():
                result["r"] = read_events(server.port, lambda ev: any(
                    e == "services" and any(s["id"] == "outlook" and s["reports_last_minute"] >= 1
                                            for s in d["services"]) for e, d in ev[2:]))
            t = threading.Thread(target=listen)
            t.start()
            time.sleep(1)
            status, _, body = server.request("POST", "/api/v1/web/reports", json.dumps(form), headers=good)
            check(status == 200 and json.loads(body)["accepted"] == 1, (status, body))
            t.join(timeout=30)
            status, headers, events = result["r"]
            check(status == 200 and headers["Content-Type"].startswith("text/event-stream"), headers)
            check(events[0][0] == "services" and len(events[0][1]["services"]) > 100, events[:1])
            check(events[1] == ("incidents", {"open": [], "changed": []}), events[1])
            later = [d for e, d in events[2:] if e == "services"]
            check(later and [s["id"] for s in later[-1]["services"]] == ["outlook"], later)
            print(f"ok   event stream ({len(events)} events; the form's report arrived as a change)")

            # Burst of 2 (one used above): the next is allowed, the one after is limited.
            form["reporter"] = "e2e-web-2"
            check(server.request("POST", "/api/v1/web/reports", json.dumps(form), headers=good)[0] == 200, "2nd")
            status, headers, body = server.request("POST", "/api/v1/web/reports", json.dumps(form), headers=good)
            check(status == 429 and int(headers["Retry-After"]) >= 1, (status, headers, body))
            print("ok   form rate limit")

            # Per-view streams. A service page's stream carries that service alone.
            status, _, events = read_events(server.port, lambda ev: len(ev) >= 2,
                                            path="/api/v1/events?view=service&service=outlook")
            check(status == 200 and [s["id"] for s in events[0][1]["services"]] == ["outlook"],
                  events[:1])
            check(events[0][1]["services"][0]["reports_last_minute"] >= 1, events[0])
            # The home list: every service, the normal ones by status and hourly count only.
            ids = []
            status, _, events = read_events(server.port, lambda ev: len(ev) >= 2,
                                            path="/api/v1/events?view=home", ids=ids)
            rows = events[0][1]["services"]
            check(len(rows) > 100 and all(set(r) == {"id", "status", "reports_last_60m"}
                                          for r in rows if r["status"] == "normal"), rows[:3])
            check(all(i and i == ids[0] for i in ids), ids)
            # Back with its Last-Event-ID after one more report: only what changed since.
            report = {"service": "outlook", "problem": "login", "reporter": "e2e-web-resume",
                      "city": "Minneapolis", "country": "US"}
            status, _, body = server.request("POST", "/api/v1/reports", json.dumps(report))
            check(status == 200 and json.loads(body)["accepted"] == 1, (status, body))
            time.sleep(0.5)  # a few rounds at 200 ms
            status, _, events = read_events(server.port, lambda ev: len(ev) >= 2,
                                            path="/api/v1/events?view=home",
                                            headers={"Last-Event-ID": ids[0]})
            check([s["id"] for s in events[0][1]["services"]] == ["outlook"], events[:1])
            check(metric(server, "om_sse_streams_resumed_total") >= 1, "resumed metric")
            for path, want in (("/api/v1/events?view=everything", 400),
                               ("/api/v1/events?view=service&service=nope", 404)):
                status, _, body = server.request("GET", path)
                check(status == want and b"error" in body, (path, status, body))
            print("ok   per-view event streams, resumed by Last-Event-ID")
        finally:
            server.stop()
    print("web e2e: all passed")


if __name__ == "__main__":
    main()
