"""End-to-end: notifications from the real binary to receivers on 127.0.0.1. The demo replays its
outage; an admin key (made with `outagemap keys`) subscribes a signed webhook, a Slack-compatible
endpoint and Debian's real Alertmanager (prometheus-alertmanager, started here on 127.0.0.1 and
stopped by PID), which groups the alert and forwards it to our receiver through its own webhook.
The receiver refuses the first delivery with 500, so the retry is exercised too. Checks the
HMAC-SHA256 signature, the payloads, the order, Alertmanager's forwarded alert, and an e-mail
received over STARTTLS by a real SMTP server (aiosmtpd, tests/e2e/smtp_peer.py). Standard
library only; every wait is bounded."""

import hashlib
import hmac
import http.server
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import time

from harness import Server, check, free_port

BINARY = sys.argv[1]


class Receiver(http.server.BaseHTTPRequestHandler):
    received = []  # (path, headers, body, answered status)
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with Receiver.lock:
            # The first webhook delivery is refused, to exercise the retry.
            first = self.path == "/webhook" and not any(r[0] == "/webhook" for r in Receiver.received)
            status = 500 if first else 200
            Receiver.received.append((self.path, dict(self.headers), body, status))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def self_signed(tmp, name):
    """A certificate for localhost / 127.0.0.1 made with the openssl command; returns (cert, key)."""
    cert, key = os.path.join(tmp, name + ".pem"), os.path.join(tmp, name + ".key")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                        "-keyout", key, "-out", cert], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, r.stderr)
    return cert, key


def tls_receiver(cert, key):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Receiver)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{receiver.server_address[1]}"
    with tempfile.TemporaryDirectory() as tmp:
        # Two TLS receivers: one whose certificate the server is told to trust (SSL_CERT_FILE),
        # one it must refuse.
        trusted = tls_receiver(*self_signed(tmp, "trusted"))
        untrusted = tls_receiver(*self_signed(tmp, "untrusted"))
        am_port = free_port()
        with open(os.path.join(tmp, "alertmanager.yml"), "w") as f:
            f.write(f"""route:
  receiver: om
  group_by: [incident]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: om
    webhook_configs:
      - url: {hook}/am
        send_resolved: true
""")
        am_log = open(os.path.join(tmp, "alertmanager.log"), "w")
        am = subprocess.Popen(["prometheus-alertmanager", "--config.file", os.path.join(tmp, "alertmanager.yml"),
                               "--storage.path", os.path.join(tmp, "am"),
                               "--web.listen-address", f"127.0.0.1:{am_port}", "--cluster.listen-address="],
                              stdout=am_log, stderr=subprocess.STDOUT)
        # A real SMTP server requiring STARTTLS, with the trusted certificate.
        smtp_port = free_port()
        mail_dir = os.path.join(tmp, "mail")
        os.makedirs(mail_dir)
        smtp = subprocess.Popen(["/usr/bin/python3", os.path.join(os.path.dirname(__file__), "smtp_peer.py"),
                                 str(smtp_port), os.path.join(tmp, "trusted.pem"), os.path.join(tmp, "trusted.key"),
                                 mail_dir], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        data = os.path.join(tmp, "data")
        port = free_port()
        log = open(os.path.join(tmp, "demo.log"), "w")
        proc = subprocess.Popen([BINARY, "demo", "--listen", f"127.0.0.1:{port}", "--data", data,
                                 "--speed", "2", "--history-days", "3"], stdout=log, stderr=subprocess.STDOUT,
                                env=dict(os.environ, SSL_CERT_FILE=os.path.join(tmp, "trusted.pem")))
        client = Server(BINARY, data)
        client.port = port
        try:
            deadline = time.time() + 60
            while time.time() < deadline:
                try:
                    if client.request("GET", "/readyz")[0] == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.2)
            key = subprocess.run([BINARY, "keys", "create", "--name", "e2e admin", "--scopes", "admin",
                                  "--data", data], capture_output=True, text=True, timeout=30)
            check(key.returncode == 0, key.stderr)
            auth = {"Authorization": "Bearer " + key.stdout.strip()}
            status, _, body = client.request("POST", "/api/v1/subscriptions", json.dumps(
                {"channel": "webhook", "url": hook + "/webhook", "service": "microsoft-365"}), headers=auth)
            check(status == 201, (status, body))
            secret = json.loads(body)["data"]["secret"]
            status, _, body = client.request("POST", "/api/v1/subscriptions", json.dumps(
                {"channel": "slack", "url": hook + "/slack", "min_impact": "major"}), headers=auth)
            check(status == 201, (status, body))
            for port_of, path in ((trusted, "/tls"), (untrusted, "/untrusted")):
                status, _, body = client.request("POST", "/api/v1/subscriptions", json.dumps(
                    {"channel": "webhook", "url": f"https://localhost:{port_of.server_address[1]}{path}",
                     "service": "microsoft-365"}), headers=auth)
                check(status == 201, (status, body))
            status, _, body = client.request("POST", "/api/v1/subscriptions", json.dumps(
                {"channel": "email", "url": f"smtp://localhost:{smtp_port}?to=noc%40example.org",
                 "service": "microsoft-365"}), headers=auth)
            check(status == 201, (status, body))
            status, _, body = client.request("POST", "/api/v1/subscriptions", json.dumps(
                {"channel": "alertmanager", "url": f"http://127.0.0.1:{am_port}", "service": "outlook"}),
                headers=auth)
            check(status == 201, (status, body))
            # Bounded wait: detection, the record, the refused first delivery and its retry.
            deadline = time.time() + 120
            while time.time() < deadline:
                with Receiver.lock:
                    ok = [r for r in Receiver.received if r[0] == "/webhook" and r[3] == 200]
                    slack = [r for r in Receiver.received if r[0] == "/slack" and r[3] == 200]
                    forwarded = [r for r in Receiver.received if r[0] == "/am"]
                    over_tls = [r for r in Receiver.received if r[0] == "/tls" and r[3] == 200]
                mails = sorted(f for f in os.listdir(mail_dir) if f.endswith(".eml"))
                if ok and slack and forwarded and over_tls and mails:
                    break
                time.sleep(0.5)
            check(ok, f"no webhook delivered: {Receiver.received}\n" + open(log.name).read()[-2000:])
            check(slack, f"no Slack message delivered: {Receiver.received}")
            with Receiver.lock:
                received = list(Receiver.received)
            first = next(r for r in received if r[0] == "/webhook")
            check(first[3] == 500, first)
            retried = [r for r in received if r[1].get("X-Outagemap-Delivery") == first[1].get("X-Outagemap-Delivery")]
            check(len(retried) >= 2 and retried[-1][3] == 200, f"the refused delivery was not retried: {received}")
            path, headers, body, _ = ok[0]
            expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            check(headers.get("X-Outagemap-Signature") == expected, (headers, expected))
            event = json.loads(body)
            check(event["event"] == "incident.update" and event["incident"]["service"] == "microsoft-365"
                  and event["incident"]["service_name"] == "Microsoft 365"
                  and event["update"]["status"] == "investigating"
                  and event["update"]["body"].startswith("User reports rose above the usual level"), event)
            seqs = [json.loads(r[2])["update"]["seq"] for r in received if r[0] == "/webhook" and r[3] == 200]
            check(seqs == sorted(seqs) and len(seqs) == len(set(seqs)), f"out of order or repeated: {seqs}")
            text = json.loads(slack[0][2])["text"]
            check(text.startswith("*") and "(OM" in text and "|Incident page>" in text, text)
            check("X-Outagemap-Signature" not in slack[0][1], "only webhooks are signed")
            check(over_tls, f"nothing delivered over TLS: {received}")
            check(not [r for r in received if r[0] == "/untrusted"], "a certificate nobody trusts was accepted")
            status, _, body = client.request("GET", "/api/v1/subscriptions", headers=auth)
            refused = [s for s in json.loads(body)["data"]["subscriptions"] if s["url"].endswith("/untrusted")]
            check(refused and refused[0]["failed_attempts"] >= 1
                  and "TLS handshake" in (refused[0]["last_error"] or ""), refused)
            check(forwarded, "Alertmanager forwarded nothing:\n" + open(am_log.name).read()[-2000:])
            check(mails, "no e-mail arrived")
            mail = open(os.path.join(mail_dir, mails[0]), "rb").read().decode()
            check("X-TLS: yes" in mail and "X-Envelope-To: noc@example.org" in mail
                  and "Subject: =?utf-8?B?" in mail and "User reports rose above the usual level" in mail
                  and "/incidents/OM" in mail, mail)
            alert = json.loads(forwarded[0][2])["alerts"][0]
            # Outlook fails with Microsoft 365, which it depends on: the subscriber to Outlook
            # hears of Outlook's own incident, or of the group's that Outlook joined.
            annotations = alert["annotations"]
            check(alert["status"] == "firing" and alert["labels"]["alertname"] == "OutagemapIncident"
                  and alert["labels"]["incident"].startswith("OM")
                  and "outlook" in annotations["services"].split(",")
                  and (annotations["summary"].startswith("Outlook: investigating")
                       or (alert["labels"]["service"] == "microsoft-365"
                           and annotations["summary"].startswith("Microsoft 365 and "))), alert)
            # One outage, one incident: the group's record lists Outlook and Teams as members.
            status, _, body = client.request("GET", "/api/v1/incidents/" + alert["labels"]["incident"])
            group = json.loads(body)["data"]
            check(status == 200 and "outlook" in group["services"], group)
            # An operator's page of chosen services, read like any Statuspage page.
            status, _, body = client.request("PUT", "/api/v1/pages/vendors", json.dumps(
                {"name": "Our vendors", "services": ["microsoft-365", "outlook", "github"]}), headers=auth)
            check(status == 200, (status, body))
            status, _, body = client.request("GET", "/pages/vendors/api/v2/summary.json")
            page = json.loads(body)
            check(status == 200 and [c["id"] for c in page["components"]] == ["microsoft-365", "outlook", "github"]
                  and page["incidents"] and page["status"]["indicator"] != "none", page)
            print(f"ok   {len(received)} deliveries: webhook signed and retried after a 500, over TLS to a "
                  f"trusted certificate and refused to an untrusted one ({refused[0]['last_error']}), Slack text sent, e-mail delivered over STARTTLS to aiosmtpd, "
                  f"Alertmanager forwarded incident {alert['labels']['incident']}")
        finally:
            smtp.terminate()
            try:
                smtp.wait(timeout=30)
            except subprocess.TimeoutExpired:
                smtp.kill()
            am.terminate()
            try:
                am.wait(timeout=30)
            except subprocess.TimeoutExpired:
                am.kill()
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
            receiver.shutdown()
            trusted.shutdown()
            untrusted.shutdown()
    print("notify e2e: all passed")


if __name__ == "__main__":
    main()
