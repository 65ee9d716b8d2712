"""Crash test: kill -9 the server again and again while clients post reports, then prove after
each restart that every acknowledged report is counted, and at the end that each is in the log
once. Bounded: ROUNDS rounds (6 in `make test`; `crash_test.py BINARY 100` is the nightly
campaign of docs/reliability.md), each with a load of at most LOAD_SECONDS and MAX_PER_CLIENT
requests per client."""

import http.client
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time

from harness import Server, check

BINARY = sys.argv[1]
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 6
CLIENTS = 8
LOAD_SECONDS = 1.5
MAX_PER_CLIENT = 50_000


def client(port, round_no, client_no, acked, stop):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    seq = 0
    try:
        while not stop.is_set() and seq < MAX_PER_CLIENT:
            batch = 1 if seq % 3 else 10  # singles and small NDJSON batches
            ids = [f"crash-{round_no}-{client_no}-{seq + i}" for i in range(batch)]
            lines = [json.dumps({"service": "slack", "reporter": i, "text": i, "problem": "app"})
                     for i in ids]
            if batch == 1:
                conn.request("POST", "/api/v1/reports", lines[0], {"Content-Type": "application/json"})
            else:
                conn.request("POST", "/api/v1/reports", "\n".join(lines),
                             {"Content-Type": "application/x-ndjson"})
            r = conn.getresponse()
            body = json.loads(r.read())
            if r.status == 200:
                check(body["accepted"] == batch, body)
                acked.update(ids)
            elif r.status not in (429, 503):
                raise AssertionError(f"unexpected {r.status}: {body}")
            seq += batch
    except (OSError, http.client.HTTPException):
        pass  # the server was killed under us: whatever was not acked may be lost
    finally:
        conn.close()


def count_in_log(data_dir, tmp):
    out = os.path.join(tmp, "export.ndjson")
    r = subprocess.run([BINARY, "export", "--data", data_dir, "--out", out, "--service", "slack"],
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, r.stderr)
    texts = set()
    with open(out) as f:
        for line in f:
            texts.add(json.loads(line)["text"])
    return texts


def main():
    random.seed(7)
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data")
        # The clients are all 127.0.0.1: lift the per-client intake limit, which is not under test.
        config = os.path.join(tmp, "om.toml")
        with open(config, "w") as f:
            f.write("[api]\npublic_reports_per_minute = 0\n")
        acked = set()
        total_truncated = 0
        recoveries = []  # seconds each start took to recover the store
        for round_no in range(ROUNDS):
            s = Server(BINARY, data, config=config).start()
            # Every report acknowledged so far is counted after the previous crash.
            status, body = s.json("GET", "/api/v1/services/slack")
            counted = body["data"]["reports_last_24h"]
            check(counted >= len(acked), f"round {round_no}: {counted} counted < {len(acked)} acked")
            stop = threading.Event()
            round_acked = [set() for _ in range(CLIENTS)]
            threads = [threading.Thread(target=client, args=(s.port, round_no, c, round_acked[c], stop))
                       for c in range(CLIENTS)]
            for t in threads:
                t.start()
            time.sleep(random.uniform(0.3, LOAD_SECONDS))
            s.kill9()  # mid-load, without warning
            stop.set()
            for t in threads:
                t.join(timeout=30)
                check(not t.is_alive(), "client thread did not finish")
            for a in round_acked:
                acked |= a
            log = s.output()
            if "truncating torn tail" in log:
                total_truncated += 1
            recovered = re.search(r"store recovered in ([0-9.e-]+) s", log)
            check(recovered is not None, "no recovery line in the log")
            recoveries.append(float(recovered.group(1)))
            print(f"round {round_no}: {sum(len(a) for a in round_acked)} acked this round, "
                  f"{len(acked)} in total")
        s = Server(BINARY, data, config=config).start()
        status, body = s.json("GET", "/api/v1/services/slack")
        counted = body["data"]["reports_last_24h"]
        s.stop()
        in_log = count_in_log(data, tmp)
        missing = acked - in_log
        check(not missing, f"{len(missing)} acknowledged reports lost, e.g. {sorted(missing)[:5]}")
        check(counted == len(in_log), f"counted {counted} != {len(in_log)} reports in the log")
        check(len(acked) > 1000, f"load too small to mean anything: {len(acked)} acked")
        print(f"crash test: {ROUNDS} kill -9 rounds, {len(acked)} acknowledged reports, "
              f"{len(in_log)} in the log, all counted; torn tails seen in {total_truncated} restarts; "
              f"store recovery median {sorted(recoveries)[len(recoveries) // 2] * 1000:.1f} ms, "
              f"max {max(recoveries) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
