"""End-to-end: an outage followed through the death of the cluster's leader.

Three nats-servers and three `outagemap serve --cluster` nodes. Eight days of ordinary Outlook
reports go onto the report stream with `import --cluster` before the nodes start. An admin key is
made with `keys create --cluster` (journaled, so every node knows it), and a webhook subscription
is created on one node and seen on all. Then an outage begins in Minneapolis, fed in real time to
random nodes with ordinary reports beside it:
  - the leader opens one incident; every node lists it with the same id; the receiver gets one
    opening;
  - the leader is killed with SIGKILL: another node takes over (it logs the term it leads at and
    the minute it continues from), and the time from the kill to its first committed minute is
    printed; the incident goes on with the same id and no second opening; an operator update
    sent to a survivor before the takeover is refused (503, Retry-After, the reason), and sent
    to a follower after it, is handed to the new leader and shown everywhere;
  - the nats-server leading the report stream is killed with SIGKILL; the nodes are ready again
    once the stream has a new leader;
  - the killed node is started again on its data dir and follows;
  - the outage ends, and the leader is paused with SIGSTOP past its lease: another node takes
    over at a later term; continued, the paused one steps down (one leader);
  - the incident is resolved once, on every node; the receiver got one opening, one operator
    update and one resolution;
  - a node's data dir started against another (new) nats cluster is refused with the reason.
Everything is stopped by PID; every wait is bounded."""

import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

from cluster_harness import kill_all, metric, print_node_logs, start_nats_cluster, wait_until
from harness import Server, WebhookReceiver, check

BINARY = sys.argv[1] if len(sys.argv) > 1 else "build/release/outagemap"
CITIES = [("Los Angeles", "US", 6), ("Chicago", "US", 3), ("Minneapolis", "US", 1),
          ("Houston", "US", 2), ("Seattle", "US", 1)]
OPENING = "User reports rose above the usual level"


STARTED = time.time()


def say(text):
    print(f"[{time.time() - STARTED:6.1f} s] {text}", flush=True)


def report(ts_ms, city, country, rng, problem="email"):
    return json.dumps({"service": "outlook", "ts": ts_ms, "city": city, "country": country,
                       "problem": problem, "reporter": f"r{rng.getrandbits(48):x}"})


def incidents(node):
    status, body = node.json("GET", "/api/v1/incidents?service=outlook&limit=10")
    check(status == 200, (status, body))
    return [(i["id"], i["state"]) for i in body["data"]["incidents"]]


class Feed:
    """Reports in real time to random live nodes: the ordinary rate of every city and, while
    `outage` is set, 150 more a minute from Minneapolis."""

    def __init__(self, rng):
        self.rng = rng
        self.nodes = []
        self.outage = True
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.wait(0.4):
            now = int(time.time() * 1000)
            lines = []
            for city, country, rate in CITIES:
                if self.rng.random() < rate * 0.4 / 60:
                    lines.append(report(now, city, country, self.rng))
            if self.outage:
                lines += [report(now, "Minneapolis", "US", self.rng, "login") for _ in range(1)]
            live = [n for n in self.nodes if n.proc and n.proc.poll() is None]
            if not lines or not live:
                continue
            try:
                self.rng.choice(live).request("POST", "/api/v1/reports", "\n".join(lines) + "\n",
                                              "application/x-ndjson")
            except OSError:
                pass  # a node killed between the choice and the request


FORWARDED = re.escape('om_cluster_forwarded_writes_total{result="answered"}')


def main():
    rng = random.Random(21)
    tmp = tempfile.mkdtemp(prefix="om-cluster-outage-e2e-")
    receiver = WebhookReceiver()
    servers, urls = start_nats_cluster(tmp)
    config = os.path.join(tmp, "node.toml")
    with open(config, "w") as f:
        # Resolved a few quiet minutes after the outage ends, to keep the test short: two quiet
        # minutes, and the metro scan over 5 minutes instead of an hour.
        f.write("[detect]\nclear_after_minutes = 2\nmetro_window_minutes = 5\n")
    nodes = [Server(BINARY, os.path.join(tmp, f"node{i}"),
                    ["--cluster", urls, "--node-id", f"n{i}"], config=config) for i in range(3)]
    feed = Feed(rng)
    try:
        now_minute = int(time.time() // 60)
        history = os.path.join(tmp, "history.ndjson")
        with open(history, "w") as f:
            for m in range(now_minute - 8 * 1440, now_minute):
                for city, country, rate in CITIES:
                    for _ in range(rate):
                        f.write(report(m * 60000 + rng.randrange(60000), city, country, rng) + "\n")
        imported = subprocess.run([BINARY, "import", history, "--cluster", urls, "--no-progress"],
                                  capture_output=True, text=True, timeout=300)
        check(imported.returncode == 0, f"import --cluster: {imported.stderr}")
        say(f"imported eight days of history: {imported.stderr.strip().splitlines()[-1]}")
        for n in nodes:
            n.start(timeout=90)
        say("three nodes ready")

        key = subprocess.run([BINARY, "keys", "create", "--cluster", urls, "--name", "e2e",
                              "--scopes", "admin,incident:write"], capture_output=True, text=True, timeout=90)
        check(key.returncode == 0, f"keys create --cluster: {key.stderr}")
        auth = {"Authorization": "Bearer " + key.stdout.strip()}
        created = {}

        def subscribed():
            status, _, body = nodes[1].request("POST", "/api/v1/subscriptions", json.dumps(
                {"channel": "webhook", "url": receiver.url, "service": "outlook"}), headers=auth)
            created["answer"] = (status, body)
            return status == 201
        # The key reaches every node through the journal within a second or two.
        wait_until("the key accepted by n1", subscribed, 20)
        subscription = json.loads(created["answer"][1])["data"]["id"]

        def listed_everywhere():
            for n in nodes:
                status, _, body = n.request("GET", "/api/v1/subscriptions", headers=auth)
                if status != 200 or subscription not in body.decode():
                    return False
            return True
        wait_until("the subscription on every node", listed_everywhere, 20)
        say(f"key and subscription {subscription} made on n1, seen on every node")

        feed.nodes = nodes
        feed.thread.start()

        def opened():
            found = [i for i in incidents(nodes[0]) if i[1] == "open"]
            return found if len(found) == 1 else None
        wait_until("an open incident", opened, 420)
        incident = opened()[0][0]
        wait_until("the same incident on every node",
                   lambda: all(incidents(n) == [(incident, "open")] for n in nodes), 30)
        wait_until("the opening at the receiver",
                   lambda: receiver.distinct(incident, "investigating", OPENING), 30)
        say(f"incident {incident} open on every node; the receiver got its opening")

        leader = next(n for n in nodes if metric(n, "om_cluster_leader") == 1)
        before = metric(leader, "om_detection_committed_timestamp_seconds")
        check(before > 0, "the leader has committed no minute")
        leader.kill9()
        killed_at = time.time()
        rest = [n for n in nodes if n is not leader]
        # An operator write meanwhile goes to the dead leader and is refused for a retry, with
        # the reason: never lost silently, never applied by a node that does not lead.
        update = json.dumps({"status": "identified", "body": "Operators see it too."})
        status, headers, body = rest[0].request(
            "POST", f"/api/v1/incidents/{incident}/updates", update, headers=auth)
        check(status == 503 and "leader" in body.decode(),
              f"an operator write while the leader is dead: {status} {body[:300]}")
        check(headers.get("Retry-After") == "1", f"503 without Retry-After: {headers}")

        wait_until("a survivor took over",
                   lambda: any(metric(n, "om_cluster_term") > 0 for n in rest), 60)
        took_over = time.time() - killed_at

        def committed_after_kill():
            return any(metric(n, "om_cluster_term") > 0 and
                       metric(n, "om_detection_committed_timestamp_seconds") > before for n in rest)
        wait_until("a new leader's first committed minute", committed_after_kill, 120)
        took = time.time() - killed_at
        new_leader = next(n for n in rest if metric(n, "om_cluster_term") > 0)
        check("leading at term" in new_leader.output(), new_leader.output()[-3000:])
        first = metric(new_leader, "om_detection_committed_timestamp_seconds")
        say(f"leader {leader.extra_args[-1]} killed; {new_leader.extra_args[-1]} took over "
            f"{took_over:.1f} s later and committed minutes up to {first - before:.0f} s after the "
            f"old leader's last, {took:.1f} s after the kill")
        check(all(incidents(n) == [(incident, "open")] for n in rest),
              f"after the takeover: {[incidents(n) for n in rest]}")
        # Retried on the follower, the write is handed to the new leader, which orders it with
        # the incident's own updates; every node shows it, and subscribers get it once.
        follower = next(n for n in rest if n is not new_leader)
        def update_accepted():
            status, _, body = follower.request(
                "POST", f"/api/v1/incidents/{incident}/updates", update, headers=auth)
            check(status in (201, 503), f"an operator update on a follower: {status} {body[:300]}")
            return status == 201
        wait_until("the operator update accepted through the new leader", update_accepted, 30)
        check(metric(follower, FORWARDED) >= 1, "the follower did not hand the update on")
        wait_until("the operator update on every survivor", lambda: all(
            "Operators see it too." in json.dumps(n.json("GET", f"/api/v1/incidents/{incident}"))
            for n in rest), 20)
        say("an operator update on a follower after the takeover went through the new leader")

        # The nats-server leading the report stream killed mid-outage: the stream elects a new
        # leader (reports meanwhile are answered 503 and fed again by nobody: a gap of seconds).
        def stream_leader_of(node):
            status, _, data = node.request("GET", "/metrics")
            check(status == 200, f"/metrics answered {status}")
            named = re.search(r'^om_stream_leader\{server="(s\d)"\} 1$', data.decode(), re.M)
            return named.group(1) if named else None
        stream_leader = next(s for s in servers if s.name == stream_leader_of(rest[0]))
        stream_leader.kill9()
        killed_at = time.time()
        wait_until("every survivor ready with a new stream leader",
                   lambda: all(stream_leader_of(n) not in (None, stream_leader.name) and
                               metric(n, "om_cluster_ready") == 1 for n in rest), 60)
        say(f"nats-server {stream_leader.name}, the report stream's leader, killed; the nodes "
            f"follow a new stream leader {time.time() - killed_at:.1f} s later")

        leader.start(timeout=90)  # back on its data dir, as a follower
        wait_until("the restarted node lists the incident",
                   lambda: incidents(leader) == [(incident, "open")], 30)
        check(metric(leader, "om_cluster_term") == 0, "the restarted node leads at once")

        feed.outage = False
        say("the outage ends")

        # The leader paused past its lease: another node takes over at a later term; woken up,
        # the paused one steps down, and its late writes are fenced off (never two leaders).
        term = metric(new_leader, "om_cluster_term")
        new_leader.proc.send_signal(signal.SIGSTOP)
        paused_at = time.time()
        others = [n for n in nodes if n is not new_leader]
        wait_until("a leader at a later term while the old one is paused",
                   lambda: any(metric(n, "om_cluster_term") > term for n in others), 60)
        say(f"leader {new_leader.extra_args[-1]} paused; another node leads at a later term "
            f"{time.time() - paused_at:.1f} s later")
        for n in others:  # what the takeover waited for, if anything
            for line in n.output().splitlines():
                if "taking over as leader" in line or "leading at term" in line:
                    say(f"  {n.extra_args[-1]}: {line.strip()[-200:]}")
        new_leader.proc.send_signal(signal.SIGCONT)
        wait_until("the paused node steps down",
                   lambda: metric(new_leader, "om_cluster_term") == 0, 30)
        for _ in range(10):  # 3 s of rounds on every node
            leading = [n.extra_args[-1] for n in nodes if metric(n, "om_cluster_term") > 0]
            check(len(leading) == 1, f"nodes leading after SIGCONT: {leading}")
            time.sleep(0.3)
        check("no longer the leader" in new_leader.output(), new_leader.output()[-3000:])
        check(all(incidents(n)[0][0] == incident and len(incidents(n)) == 1 for n in nodes),
              f"after the pause: {[incidents(n) for n in nodes]}")
        wait_until("the incident resolved on every node",
                   lambda: all(incidents(n) == [(incident, "resolved")] for n in nodes), 420)
        wait_until("the resolution at the receiver",
                   lambda: receiver.distinct(incident, "resolved"), 30)
        time.sleep(3)  # the notifier polls every second: a repeat would have been sent by now
        openings = receiver.distinct(incident, "investigating", OPENING)
        resolutions = receiver.distinct(incident, "resolved")
        check(len(openings) == 1, f"openings: {openings}")
        check(len(resolutions) == 1, f"resolutions: {resolutions}")
        identified = receiver.distinct(incident, "identified")
        check(len(identified) == 1, f"operator updates delivered: {identified}")
        others = {e["incident"]["id"] for e in receiver.events()} - {incident}
        check(not others, f"deliveries for other incidents: {others}")
        updates = [e["update"]["status"] for e in receiver.events()]
        say(f"incident {incident} resolved on every node; the receiver got one opening and "
              f"one resolution ({len(updates)} deliveries: {updates})")

        # A data dir that applied more of a journal than the cluster's holds (the streams were
        # deleted, or another cluster's dir) is refused at start, naming the cause.
        for n in nodes:
            n.stop()
        others, other_urls = start_nats_cluster(os.path.join(tmp, "other"))
        servers += others
        stranger = Server(BINARY, nodes[0].data_dir, ["--cluster", other_urls, "--node-id", "n0"])
        refusal = ""
        try:
            stranger.start(timeout=60)
        except AssertionError as refused:
            refusal = str(refused)
        if stranger.proc.poll() is None:
            stranger.kill9()
        check("belongs to another cluster" in refusal,
              f"a node on a data dir of another cluster: {refusal[-2000:] or 'it started'}")
        say("a data dir of another cluster is refused at start")
        say("cluster outage test passed")
    except Exception:  # an assertion, or a node gone (connection refused)
        print_node_logs(nodes)
        raise
    finally:
        feed.stop.set()
        kill_all(nodes, servers)
        receiver.shutdown()


if __name__ == "__main__":
    main()
