"""End-to-end: a restart in the middle of an outage continues the same incident.

Eight days of ordinary Outlook reports are imported, the server is started once to subscribe a
webhook (our receiver on 127.0.0.1), then stopped; the last 20 minutes of an outage in Minneapolis
are imported and the server started again: its warm-up finds the outage and opens an incident,
whose opening reaches the receiver. Outage reports keep coming over the API. Then kill -9 and a
restart on the same data dir: the server says it continues detection from the minute it had
judged, the same incident stays open (no second one), and once a new minute has been judged the
receiver still has exactly one opening (counted by delivery id, which a repeat keeps). Every
wait is bounded."""

import calendar
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time

from harness import Server, WebhookReceiver, check

BINARY = sys.argv[1]
CITIES = [("Los Angeles", "US", 6), ("Chicago", "US", 3), ("Minneapolis", "US", 1),
          ("Houston", "US", 2), ("Seattle", "US", 1)]


def report(minute, city, country, rng, problem="email"):
    return json.dumps({"service": "outlook", "ts": minute * 60000 + rng.randrange(60000),
                       "city": city, "country": country, "problem": problem,
                       "reporter": f"r{rng.getrandbits(48):x}"})


def write_reports(path, lines):
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def imported(data, path):
    r = subprocess.run([BINARY, "import", "--data", data, "--no-progress", path],
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, r.stderr)


def openings(receiver, incident_id):
    """The distinct openings of the incident (WebhookReceiver.distinct). A kill -9 between the
    receiver's answer and the saved cursor sends the same delivery again: at least once, never a
    new one."""
    return receiver.distinct(incident_id, "investigating", "User reports rose above the usual level")


def wait_for(what, predicate, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def main():
    rng = random.Random(7)
    receiver = WebhookReceiver()
    hook = receiver.url
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data")
        now_minute = int(time.time() // 60)
        outage_from = now_minute - 20
        # Eight days of ordinary reports up to the outage, then the outage's first 20 minutes.
        history = []
        for m in range(now_minute - 8 * 1440, outage_from):
            for city, country, rate in CITIES:
                history += [report(m, city, country, rng) for _ in range(rate)]
        write_reports(os.path.join(tmp, "history.ndjson"), history)
        imported(data, os.path.join(tmp, "history.ndjson"))

        key = subprocess.run([BINARY, "keys", "create", "--name", "restart e2e", "--scopes", "admin",
                              "--data", data], capture_output=True, text=True, timeout=30)
        check(key.returncode == 0, key.stderr)
        auth = {"Authorization": "Bearer " + key.stdout.strip()}
        server = Server(BINARY, data).start()
        try:
            status, _, body = server.request("POST", "/api/v1/subscriptions", json.dumps(
                {"channel": "webhook", "url": hook, "service": "outlook"}), headers=auth)
            check(status == 201, (status, body))
        finally:
            check(server.stop() == 0, server.output()[-2000:])

        outage = []
        for m in range(outage_from, now_minute):
            for city, country, rate in CITIES:
                outage += [report(m, city, country, rng) for _ in range(rate)]
            outage += [report(m, "Minneapolis", "US", rng, "login") for _ in range(40)]
        write_reports(os.path.join(tmp, "outage.ndjson"), outage)
        imported(data, os.path.join(tmp, "outage.ndjson"))

        stop_feeding = threading.Event()
        target = {"server": None}

        def feed():
            # The outage goes on in real time: a Minneapolis report a second, 60 a minute.
            while not stop_feeding.wait(1.0):
                line = json.dumps({"service": "outlook", "ts": int(time.time() * 1000),
                                   "city": "Minneapolis", "country": "US", "problem": "login",
                                   "reporter": f"r{rng.getrandbits(48):x}"})
                if target["server"]:
                    try:
                        target["server"].request("POST", "/api/v1/reports", line,
                                                 "application/x-ndjson")
                    except OSError:
                        pass  # between the kill and the restart

        feeder = threading.Thread(target=feed, daemon=True)
        server = Server(BINARY, data).start()
        target["server"] = server
        feeder.start()
        try:
            def open_incidents(s):
                status, body = s.json("GET", "/api/v1/incidents?service=outlook&limit=10")
                check(status == 200, body)
                return body["data"]["incidents"]

            first = wait_for("the outage's incident",
                             lambda: [i for i in open_incidents(server) if i["state"] == "open"], 60)
            check(len(first) == 1, first)
            incident_id = first[0]["id"]
            wait_for("the opening at the receiver", lambda: openings(receiver, incident_id), 30)
            print(f"incident {incident_id} opened; kill -9")
            server.kill9()
            target["server"] = None

            restarted = Server(BINARY, data).start()
            target["server"] = restarted
            started_minute = int(time.time() // 60)
            def judged_minute():
                at = restarted.json("GET", "/api/v1/services")[1]["data"]["evaluated_at"]
                return calendar.timegm(time.strptime(at[:19], "%Y-%m-%dT%H:%M:%S")) // 60 if at else 0
            wait_for("a minute judged after the restart",
                     lambda: judged_minute() >= started_minute, 90)
            check("detection continues from minute" in restarted.output(), restarted.output()[-3000:])
            listed = open_incidents(restarted)
            check([i["id"] for i in listed] == [incident_id],
                  f"one incident across the restart, got {[(i['id'], i['state']) for i in listed]}")
            check(listed[0]["state"] == "open", listed[0])
            time.sleep(3)  # the notifier polls every second: a second opening would be sent by now
            check(len(openings(receiver, incident_id)) == 1, f"openings: {openings(receiver, incident_id)}")
            others = [e["incident"]["id"] for e in receiver.events()
                      if e["incident"]["id"] != incident_id]
            check(not others, f"deliveries for other incidents: {others}")
            print("after kill -9 and restart: the same incident, open, and one opening delivered")
            stop_feeding.set()
            check(restarted.stop() == 0, restarted.output()[-2000:])
        finally:
            stop_feeding.set()
            for s in (server, target["server"]):
                if s and s.proc and s.proc.poll() is None:
                    s.kill9()
    receiver.shutdown()


if __name__ == "__main__":
    main()
