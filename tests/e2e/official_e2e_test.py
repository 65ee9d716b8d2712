"""End-to-end: official status polling by the real binary against a local fixture server on
127.0.0.1 that serves a Statuspage summary (with an ETag, so the second poll is conditional), an
RSS feed, a malformed answer, a 429 with Retry-After and an answer slower than the timeout. The
services come from a user catalog pointing at it. Checks each service's "official" object and the
fixture's request log. Standard library only; every wait is bounded."""

import http.server
import json
import os
import sys
import tempfile
import threading
import time

from harness import Server, check, free_port

BINARY = sys.argv[1]


class Fixture(http.server.BaseHTTPRequestHandler):
    log = []  # (path, If-None-Match)
    lock = threading.Lock()

    def do_GET(self):
        with Fixture.lock:
            Fixture.log.append((self.path, self.headers.get("If-None-Match")))
        if self.path == "/good/summary.json":
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.end_headers()
                return
            self.reply(200, json.dumps({"page": {"id": "x"}, "status": {"indicator": "major",
                                        "description": "Partial System Outage"}}), {"ETag": '"v1"'})
        elif self.path == "/feed.rss":
            now = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(time.time() - 600))
            self.reply(200, f"<rss><channel><item><title>Investigating delayed e-mail</title>"
                            f"<pubDate>{now}</pubDate></item></channel></rss>")
        elif self.path == "/broken/summary.json":
            self.reply(200, "<html>We'll be back</html>")
        elif self.path == "/limited/summary.json":
            self.reply(429, "slow down", {"Retry-After": "3600"})
        elif self.path == "/slow/summary.json":
            time.sleep(3)
            self.reply(200, "{}")
        else:
            self.reply(404, "no")

    def reply(self, status, body, headers=None):
        data = body.encode()
        try:
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the slow answer: the client gave up first, as it should

    def log_message(self, *args):
        pass


def main():
    fixture = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Fixture)
    threading.Thread(target=fixture.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{fixture.server_address[1]}"
    with tempfile.TemporaryDirectory() as tmp:
        catalog = os.path.join(tmp, "catalog.toml")
        with open(catalog, "w") as f:
            for sid, path, fmt in (("fixture-good", "/good/summary.json", "statuspage"),
                                   ("fixture-feed", "/feed.rss", "rss"),
                                   ("fixture-broken", "/broken/summary.json", "statuspage"),
                                   ("fixture-limited", "/limited/summary.json", "statuspage"),
                                   ("fixture-slow", "/slow/summary.json", "statuspage")):
                f.write(f'[[service]]\nid = "{sid}"\nname = "{sid}"\ncategory = "other"\n'
                        f'status_url = "{base}{path}"\nstatus_format = "{fmt}"\n\n')
        config = os.path.join(tmp, "om.toml")
        with open(config, "w") as f:
            # Only the fixture's services: the built-in catalog's real status pages must not be
            # polled from a test (tests reach 127.0.0.1 only).
            f.write(f'[catalog]\nfile = "{catalog}"\n[official]\nenabled = true\ninterval_seconds = 1\n'
                    'timeout_ms = 1000\nservices = ["fixture-good", "fixture-feed", "fixture-broken", '
                    '"fixture-limited", "fixture-slow"]\n')
        server = Server(BINARY, os.path.join(tmp, "data"), config=config).start()
        try:
            deadline = time.time() + 30
            states = {}
            while time.time() < deadline:
                for sid in ("fixture-good", "fixture-feed", "fixture-broken", "fixture-limited", "fixture-slow"):
                    status, body = server.json("GET", f"/api/v1/services/{sid}")
                    states[sid] = body["data"]["official"]
                with Fixture.lock:
                    conditional = [h for p, h in Fixture.log if p == "/good/summary.json" and h == '"v1"']
                if (states["fixture-good"]["status"] and conditional and states["fixture-feed"]["status"]
                        and states["fixture-broken"]["error"] and states["fixture-limited"]["error"]
                        and states["fixture-slow"]["error"]):
                    break
                time.sleep(0.5)
            good = states["fixture-good"]
            check(good["status"] == "partial" and good["description"] == "Partial System Outage"
                  and good["error"] is None and good["checked_at"] and good["accuracy"] is None, good)
            check(conditional, f"no conditional request: {Fixture.log}")
            feed = states["fixture-feed"]
            check(feed["status"] == "degraded" and feed["description"] == "Investigating delayed e-mail", feed)
            broken = states["fixture-broken"]
            check(broken["status"] is None and "invalid JSON" in broken["error"], broken)
            limited = states["fixture-limited"]
            check(limited["error"] == "HTTP 429", limited)
            with Fixture.lock:
                limited_requests = sum(1 for p, _ in Fixture.log if p == "/limited/summary.json")
            check(limited_requests == 1, f"Retry-After: 3600 not honoured: {limited_requests} requests")
            slow = states["fixture-slow"]
            check("timed out" in (slow["error"] or ""), slow)
            status, body = server.json("GET", "/api/v1/services/github")
            check(body["data"]["official"] is None, "a source left out by official.services is not polled")
            with Fixture.lock:
                check(all(p.startswith(("/good", "/feed", "/broken", "/limited", "/slow")) for p, _ in Fixture.log),
                      Fixture.log)
            print("ok   official status: statuspage (conditional), rss, malformed, 429 honoured, timeout")
        finally:
            server.stop()
            fixture.shutdown()
    print("official e2e: all passed")


if __name__ == "__main__":
    main()
