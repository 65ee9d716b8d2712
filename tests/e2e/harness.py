"""Shared helpers for the end-to-end tests: start the real outagemap binary on 127.0.0.1 with a
fresh data dir, talk HTTP to it, stop it by PID. Standard library only; every wait is bounded."""

import http.client
import http.server
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, data_dir, extra_args=(), config=None):
        self.binary = binary
        self.data_dir = data_dir
        self.port = free_port()
        self.extra_args = list(extra_args)
        self.config = config
        self.proc = None
        self.log = None

    def start(self, timeout=30):
        args = [self.binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--data", self.data_dir]
        if self.config:
            args += ["--config", self.config]
        args += self.extra_args
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited early with {self.proc.returncode}:\n{self.output()}")
            try:
                status, _, _ = self.request("GET", "/readyz")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("server not ready in time:\n" + self.output())

    def output(self):
        if not self.log:
            return ""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                raise AssertionError("server did not stop in time")
        return self.proc.returncode

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def request(self, method, path, body=None, content_type="application/json", headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            h = dict(headers or {})
            if body is not None:
                h["Content-Type"] = content_type
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
            return r.status, dict(r.getheaders()), data
        finally:
            conn.close()

    def json(self, method, path, body=None, content_type="application/json"):
        status, headers, data = self.request(method, path, body, content_type)
        return status, json.loads(data) if data else None


def metric(node, name):
    """The value of an unlabelled metric on `node`'s /metrics; fails the test when absent."""
    status, _, data = node.request("GET", "/metrics")
    check(status == 200, f"/metrics answered {status}")
    found = re.search(rf"^{name} ([0-9.e+-]+)$", data.decode(), re.M)
    check(found is not None, f"{name} missing from /metrics")
    return float(found.group(1))


def check(cond, message):
    if not cond:
        raise AssertionError(message)


class WebhookReceiver:
    """A webhook receiver on 127.0.0.1 (its own thread) that keeps every event it is sent, with
    the X-Outagemap-Delivery header as event["delivery"]."""

    def __init__(self):
        self.received = []
        self.lock = threading.Lock()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                event = json.loads(body)
                event["delivery"] = self.headers.get("X-Outagemap-Delivery")
                with owner.lock:
                    owner.received.append(event)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/hook"

    def events(self):
        with self.lock:
            return list(self.received)

    def distinct(self, incident_id, status, body_prefix=""):
        """The distinct updates of one incident with that status, as a receiver that drops
        repeated deliveries (same X-Outagemap-Delivery, as docs/api/README.md asks) sees them:
        a repeat after a crash or failover is at least once, never a new delivery id."""
        seen = {}
        for e in self.events():
            if (e["incident"]["id"] == incident_id and e["update"]["status"] == status
                    and e["update"]["body"].startswith(body_prefix)):
                check(e["delivery"], f"a delivery without X-Outagemap-Delivery: {e}")
                seen.setdefault(e["delivery"], e)
        return list(seen.values())

    def shutdown(self):
        self.http.shutdown()
