"""End-to-end: three outagemap nodes in cluster mode on three real nats-server processes.

Three nats-servers form a JetStream cluster on 127.0.0.1; three `outagemap serve --cluster`
nodes (each with its own data dir) share one R3 report stream. A file goes in with
`outagemap import --cluster`; then reports with unique reporter ids,
and some repeats of a reporter, go to random nodes in bounded load while, in turn:
  - one node is killed with SIGKILL and started again on its data dir (it resumes counting from
    its snapshot and catches up);
  - the nats-server leading the report stream is killed with SIGKILL (a new leader is elected;
    publishes in between are answered 503, never acknowledged and lost).
A key made with `keys create --cluster` is accepted by every node, listed with `keys list
--cluster`, and refused by every node once `keys revoke --cluster` revoked it. With it, operator
writes sent to followers are handed to the leader, which answers them.
The node holding the leader lease is paused with SIGSTOP past its lease and continued: another
node leads meanwhile, and afterwards there is still exactly one leader.
Then: every node has counted the whole stream, every acknowledged report is counted (the repeats
once), all three answer the same counts and places, exactly one node leads, and it hands the lead
over when it is killed. Last, with two of the three nats-servers gone, /readyz says 503 on every
node (no quorum). Everything is stopped by PID; every wait is bounded."""

import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time

from cluster_harness import kill_all, metric, print_node_logs, start_nats_cluster, wait_until
from harness import Server, check

BINARY = sys.argv[1] if len(sys.argv) > 1 else "build/release/outagemap"
SERVICES = ["outlook", "teams", "slack"]


class Load:
    """Bounded load: NDJSON batches of unique reporters (and repeats) to the nodes given."""

    def __init__(self):
        self.sent = 0
        self.acknowledged = {s: 0 for s in SERVICES}  # distinct (reporter, service) acknowledged
        self.maybe_stored = {s: 0 for s in SERVICES}  # in batches that failed: stored or not
        self.failed_batches = 0
        self.now_ms = int(time.time() * 1000)

    def batch(self, node, size=20):
        lines, per_service = [], {s: 0 for s in SERVICES}
        for _ in range(size):
            service = random.choice(SERVICES)
            reporter = f"r{self.sent}"
            self.sent += 1
            city = random.choice([("Minneapolis", "US"), ("Phoenix", "US"), ("Lyon", "FR")])
            line = {"service": service, "reporter": reporter, "city": city[0], "country": city[1],
                    "ts": self.now_ms - random.randint(0, 120000)}
            lines.append(json.dumps(line))
            lines.append(json.dumps(line))  # the same reporter again: counted once
            per_service[service] += 1
        body = "\n".join(lines) + "\n"
        try:
            status, _, _ = node.request("POST", "/api/v1/reports", body, "application/x-ndjson")
        except OSError:
            status = 0
        target = self.acknowledged if status == 200 else self.maybe_stored
        if status != 200:
            self.failed_batches += 1
        for s, n in per_service.items():
            target[s] += n
        return status

    def run(self, nodes, batches):
        for _ in range(batches):
            self.batch(random.choice(nodes))


def counted(node, service, since_ms, until_ms):
    status, body = node.json("GET", f"/api/v1/services/{service}/series?from={since_ms}"
                                    f"&to={until_ms}&step=1m")
    check(status == 200, (status, body))
    return body


def total(series):
    return sum(count for _, count in series["data"]["points"])


FORWARDED = re.escape('om_cluster_forwarded_writes_total{result="answered"}')
UNANSWERED = re.escape('om_cluster_forwarded_writes_total{result="unavailable"}')
ANSWERED = "om_cluster_leader_writes_answered_total"


def forwarded_writes(nodes, token):
    """An operator write on a follower is handed to the leader, which answers it: the follower
    counts it forwarded, the leader answered, and the journal brings it to every node."""
    auth = {"Authorization": "Bearer " + token}
    def took_lead(n):
        return metric(n, "om_cluster_leader") == 1 and metric(n, "om_cluster_term") > 0
    wait_until("a node that took the lead", lambda: any(took_lead(n) for n in nodes), 60)
    leader = next(n for n in nodes if took_lead(n))
    creator, deleter = [n for n in nodes if n is not leader]
    status, _, body = creator.request("POST", "/api/v1/subscriptions", json.dumps(
        {"channel": "webhook", "url": "http://127.0.0.1:9/hook", "service": "outlook"}),
        headers=auth)
    check(status == 201, f"subscription on a follower: {status} {body[:300]}")
    subscription = json.loads(body)["data"]["id"]
    check(metric(creator, FORWARDED) == 1 and metric(creator, UNANSWERED) == 0,
          "the follower did not hand the write to the leader")
    check(metric(leader, ANSWERED) == 1, "the leader did not answer the handed write")

    def listed(n):
        status, _, body = n.request("GET", "/api/v1/subscriptions", headers=auth)
        return status == 200 and subscription in body.decode()
    wait_until("the subscription on every node", lambda: all(listed(n) for n in nodes), 20)
    status, _, body = deleter.request("DELETE", f"/api/v1/subscriptions/{subscription}",
                                      headers=auth)
    check(status == 200, f"delete on the other follower: {status} {body[:300]}")
    check(metric(deleter, FORWARDED) == 1, "the delete was not handed to the leader")
    check(metric(leader, ANSWERED) == 2, "the leader did not answer the handed delete")
    wait_until("the subscription gone from every node",
               lambda: not any(listed(n) for n in nodes), 20)
    # Writes the leader gets itself are not handed anywhere.
    status, _, body = leader.request("PUT", "/api/v1/pages/e2e-page", json.dumps(
        {"name": "E2E", "services": ["outlook"]}), headers=auth)
    check(status in (200, 201), f"a status page on the leader: {status} {body[:300]}")
    check(metric(leader, FORWARDED) == 0 and metric(leader, ANSWERED) == 2,
          "the leader handed its own write on")
    print(f"subscription {subscription} made on follower {creator.extra_args[-1]} and deleted on "
          f"{deleter.extra_args[-1]}, both answered by the leader {leader.extra_args[-1]}")


def main():
    random.seed(12)
    tmp = tempfile.mkdtemp(prefix="om-cluster-e2e-")
    servers, urls = start_nats_cluster(tmp)
    nodes = [Server(BINARY, os.path.join(tmp, f"node{i}"),
                    ["--cluster", urls, "--node-id", f"n{i}"]) for i in range(3)]
    try:
        for n in nodes:
            n.start(timeout=60)
        load = Load()
        # History goes in with `import --cluster`: onto the stream, counted by every node.
        imported = os.path.join(tmp, "import.ndjson")
        with open(imported, "w") as f:
            for i in range(300):
                service = SERVICES[i % len(SERVICES)]
                f.write(json.dumps({"service": service, "reporter": f"imp{i}", "city": "Lyon",
                                    "country": "FR",
                                    "ts": load.now_ms - random.randint(0, 120000)}) + "\n")
                load.acknowledged[service] += 1
        result = subprocess.run([BINARY, "import", imported, "--cluster", urls, "--no-progress"],
                                capture_output=True, text=True, timeout=120)
        check(result.returncode == 0 and "published 300 reports" in result.stderr,
              f"import --cluster: {result.returncode} {result.stderr}")
        load.run(nodes, 40)
        check(load.failed_batches == 0, f"{load.failed_batches} batches failed on a healthy cluster")

        # A cluster's keys: created, listed and revoked through the journal; every node follows.
        def keys(*args):
            r = subprocess.run([BINARY, "keys", *args, "--cluster", urls], capture_output=True,
                               text=True, timeout=90)
            check(r.returncode == 0, f"keys {args[0]} --cluster: {r.returncode} {r.stderr}")
            return r.stdout
        token = keys("create", "--name", "cluster-e2e", "--scopes", "admin").strip()
        key_id = token.split("_")[1]
        check(key_id in keys("list"), "keys list --cluster does not list the new key")

        def answers(status):
            return lambda: all(n.request("GET", "/api/v1/subscriptions", headers={
                "Authorization": "Bearer " + token})[0] == status for n in nodes)
        wait_until("the key accepted by every node", answers(200), 20)
        forwarded_writes(nodes, token)
        keys("revoke", key_id)
        wait_until("the revoked key refused by every node", answers(401), 20)
        print(f"key {key_id} created, listed and revoked with --cluster; every node followed")

        # A node killed with SIGKILL and started again on its data dir.
        nodes[2].kill9()
        load.run(nodes[:2], 30)
        nodes[2].start(timeout=60)
        load.run(nodes, 30)

        # The stream's leader killed with SIGKILL, as the nodes see it.
        status, _, data = nodes[0].request("GET", "/metrics")
        named = re.search(r'^om_stream_leader\{server="(s\d)"\} 1$', data.decode(), re.M)
        check(named is not None, "no stream leader in /metrics")
        leader = next(s for s in servers if s.name == named.group(1))
        leader.kill9()
        # Until the survivors have acknowledged 30 more batches (a new leader was elected).
        acknowledged_before = sum(load.acknowledged.values())
        deadline = time.time() + 60
        while (sum(load.acknowledged.values()) < acknowledged_before + 30 * 20
               and time.time() < deadline):
            if load.batch(random.choice(nodes)) != 200:
                time.sleep(0.1)
        check(sum(load.acknowledged.values()) >= acknowledged_before + 30 * 20,
              "the survivors did not acknowledge reports within 60 s of the stream leader's death")
        print(f"sent {load.sent} reports (each twice); acknowledged {sum(load.acknowledged.values())}"
              f" distinct; {load.failed_batches} batches failed (503 while a new stream leader"
              f" was elected)")

        # Every node counts the whole stream: each is ready (its last probe of the stream's leader
        # is recent), has counted up to the last sequence that probe saw, and that sequence stays
        # the same over two probes (the load is over).
        def caught_up(node):
            if metric(node, "om_cluster_ready") != 1:
                return False
            last = metric(node, "om_stream_last_sequence")
            return last > 0 and metric(node, "om_stream_applied_sequence") >= last
        def all_caught_up():
            if not all(caught_up(n) for n in nodes):
                return False
            before = [metric(n, "om_stream_last_sequence") for n in nodes]
            time.sleep(2.5)
            return all(caught_up(n) for n in nodes) and before == [
                metric(n, "om_stream_last_sequence") for n in nodes]
        wait_until("every node counted the whole stream", all_caught_up, 90)
        sequences = {metric(n, "om_stream_applied_sequence") for n in nodes}
        check(len(sequences) == 1, f"nodes stopped at different sequences: {sequences}")

        since = load.now_ms - 10 * 60000
        until = int(time.time() * 1000) + 60000
        for service in SERVICES:
            answers = [counted(n, service, since, until) for n in nodes]
            check(answers[0] == answers[1] == answers[2],
                  f"{service}: nodes answer different counts")
            got = total(answers[0])
            low, high = load.acknowledged[service], load.acknowledged[service] + load.maybe_stored[service]
            check(low <= got <= high,
                  f"{service}: counted {got}, acknowledged {low}, at most {high} stored; "
                  f"stream sequences applied/last: "
                  f"{[(metric(n, 'om_stream_applied_sequence'), metric(n, 'om_stream_last_sequence')) for n in nodes]}")
            places = [n.json("GET", f"/api/v1/services/{service}/places?level=city&rank=reports")
                      for n in nodes]
            check(places[0] == places[1] == places[2], f"{service}: nodes answer different places")
            print(f"{service}: {got} counted on every node ({low} acknowledged)")

        # Exactly one leader; when it is killed another node leads within the lease ttl (6 s)
        # and a few probe rounds.
        def leaders(alive):
            return [n for n in alive if metric(n, "om_cluster_leader") == 1]
        wait_until("one leader", lambda: len(leaders(nodes)) == 1, 20)

        # The leader paused (SIGSTOP) for longer than its lease: another node leads. Woken up
        # (SIGCONT), it knows by its own clock that its lease is stale and does not lead, and its
        # next renewal is refused: never two leaders.
        paused = leaders(nodes)[0]
        paused.proc.send_signal(signal.SIGSTOP)
        others = [n for n in nodes if n is not paused]
        started = time.time()
        wait_until("a leader while the old one is paused", lambda: len(leaders(others)) == 1, 30)
        took = time.time() - started
        paused.proc.send_signal(signal.SIGCONT)
        for _ in range(10):  # 3 s: several rounds of renewal on every node
            check(len(leaders(nodes)) == 1,
                  f"leaders after SIGCONT: {[n.extra_args[-1] for n in leaders(nodes)]}")
            time.sleep(0.3)
        check(metric(paused, "om_cluster_leader") == 0, "the paused node leads again")
        print(f"leader {paused.extra_args[-1]} paused; {leaders(others)[0].extra_args[-1]} leads "
              f"{took:.1f} s later; after SIGCONT one leader")

        old = leaders(nodes)[0]
        old.kill9()
        rest = [n for n in nodes if n is not old]
        started = time.time()
        wait_until("a new leader", lambda: len(leaders(rest)) == 1, 30)
        print(f"leader {old.extra_args[-1]} killed; {leaders(rest)[0].extra_args[-1]} leads "
              f"{time.time() - started:.1f} s later")

        # No quorum: with two of three nats-servers gone, no node is ready.
        for s in servers:
            s.kill9()
            if sum(1 for x in servers if x.proc.poll() is None) <= 1:
                break
        started = time.time()
        for n in rest:
            wait_until("/readyz 503 without a quorum",
                       lambda: n.request("GET", "/readyz")[0] == 503, 30)
        print(f"two of three nats-servers killed: /readyz 503 on every node "
              f"{time.time() - started:.1f} s later")
        print("cluster test passed")
    except Exception:  # an assertion, or a node gone (connection refused)
        print_node_logs(nodes)
        raise
    finally:
        kill_all(nodes, servers)


if __name__ == "__main__":
    main()
