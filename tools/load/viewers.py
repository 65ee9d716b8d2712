#!/usr/bin/env python3
"""A crowd of live viewers on one outagemap server, for tools/load/viewers.sh. Standard library
only; targets 127.0.0.1; every loop is bounded in time.

  viewers.py crowd PORT --viewers N --seconds S --probe SERVICE --out FILE.json
      Opens N event streams (GET /api/v1/events) in the mix of an outage day: most viewers on the
      failing service's page (view=service), some on the home list (view=home), a few on the map
      (view=map). While they stay connected, one report for the probe service is posted every
      second; each viewer that shows the probe service notes when the probe's count reaches it.
      The delay from a probe's sending to a viewer seeing it is the freshness of live
      events: a round every event interval, plus the time to build and deliver it. Writes the
      figures to FILE.json.

  viewers.py feed PORT --rate R --seconds S --services N --skip SERVICE --pages P
      Posts R reports a second (NDJSON batches of 500, spread over N services, skipping the probe
      service) and loads the service page P times a second (its HTML and the four JSON reads its
      script makes), for S seconds. Prints what it sent and the page loads' latencies.

The probe service must get no reports but the probes, so that its hourly count is the number of
probes acknowledged.
"""

import argparse
import asyncio
import http.client
import json
import random
import re
import statistics
import sys
import threading
import time


def percentile(values, p):
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100.0 * len(s)))]


class Viewer:
    __slots__ = ("path", "view", "watches_probe", "greeted_at", "bytes", "greeting_bytes", "events",
                 "seen", "error", "closed")

    def __init__(self, path, watches_probe):
        self.path = path
        self.view = path.split("view=")[1].split("&")[0] if "view=" in path else "all"
        self.watches_probe = watches_probe
        self.greeted_at = None  # monotonic time of the first event
        self.bytes = 0
        self.greeting_bytes = 0
        self.events = 0
        self.seen = 0  # the probe count this viewer has shown
        self.error = None
        self.closed = False


async def run_viewer(port, v, probe_re, probes, delays, stop_at):
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 30)
    except (OSError, asyncio.TimeoutError) as e:
        v.error = f"connect: {e}"
        return
    try:
        writer.write(f"GET {v.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
                     .encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        if not head.startswith(b"HTTP/1.1 200"):
            v.error = head.split(b"\r\n", 1)[0].decode(errors="replace")
            return
        buf = b""
        while time.monotonic() < stop_at:
            try:
                chunk = await asyncio.wait_for(reader.read(65536), max(0.1, stop_at - time.monotonic()))
            except asyncio.TimeoutError:
                break
            if not chunk:
                v.closed = True
                break
            now = time.monotonic()
            v.bytes += len(chunk)
            buf += chunk
            while True:
                end = buf.find(b"\n\n")
                if end < 0:
                    break
                block, buf = buf[:end], buf[end + 2:]
                if not block.startswith(b"event: "):
                    continue  # retry:, pings
                v.events += 1
                if v.greeted_at is None:
                    v.greeting_bytes += len(block) + 2
                    if v.events >= 2:
                        v.greeted_at = now
                if not v.watches_probe or not block.startswith(b"event: services"):
                    continue
                m = probe_re.search(block)
                if not m:
                    continue
                count = int(m.group(1))
                # Probes acknowledged before this viewer was greeted came with its greeting: only
                # later ones measure freshness.
                for k in range(v.seen + 1, count + 1):
                    if k <= len(probes) and probes[k - 1] is not None and v.greeted_at is not None \
                            and probes[k - 1] >= v.greeted_at:
                        delays.setdefault(v.view, []).append(now - probes[k - 1])
                v.seen = max(v.seen, count)
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
            asyncio.TimeoutError) as e:
        v.error = f"{type(e).__name__}: {e}"
    finally:
        writer.close()


def post(port, path, body, content_type="application/x-ndjson"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", path, body, {"Content-Type": content_type})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def crowd(args):
    probe = args.probe
    probe_re = re.compile(rb'\{"id":"' + re.escape(probe.encode()) + rb'"[^}]*"reports_last_60m":(\d+)')
    n = args.viewers
    n_service = int(n * 0.80)
    n_home = int(n * 0.15)
    n_map = n - n_service - n_home
    others = args.other_services.split(",") if args.other_services else []
    viewers = []
    for i in range(n_service):
        # Nine in ten service pages are the failing service's; the rest spread over others.
        if i % 10 != 9 or not others:
            viewers.append(Viewer(f"/api/v1/events?view=service&service={probe}", True))
        else:
            viewers.append(Viewer(f"/api/v1/events?view=service&service={others[i % len(others)]}",
                                  False))
    viewers += [Viewer("/api/v1/events?view=home", True) for _ in range(n_home)]
    viewers += [Viewer("/api/v1/events?view=map", False) for _ in range(n_map)]
    if args.everything:
        # As before views existed: every viewer is sent every service.
        viewers = [Viewer("/api/v1/events", True) for _ in range(n)]

    probes = []  # monotonic time probe k+1 was sent (None: refused)
    delays = {}  # view -> delays of the probes its viewers saw
    started = time.monotonic()
    ramp_s = args.ramp
    stop_at = started + ramp_s + args.seconds

    async def main():
        tasks = []
        # Ramp: viewers arrive over `ramp` seconds, as a crowd does, not in one instant.
        for i, v in enumerate(viewers):
            tasks.append(asyncio.create_task(run_viewer(args.port, v, probe_re, probes, delays, stop_at)))
            if i % 100 == 99:
                await asyncio.sleep(ramp_s * 100 / len(viewers))
        await asyncio.gather(*tasks)

    def prober():
        # About one probe a second after the ramp, until the end, each with its own reporter. The
        # gaps are random, so that probes fall at every phase of the server's rounds.
        time.sleep(max(0.0, started + ramp_s - time.monotonic()))
        jitter = random.Random(11)
        k = 0
        while time.monotonic() < stop_at - 3 and k < 100000:
            k += 1
            line = json.dumps({"service": probe, "problem": "login", "reporter": f"probe-{k}",
                               "city": "Minneapolis", "country": "US"})
            sent_at = time.monotonic()
            try:
                status, _ = post(args.port, "/api/v1/reports", line + "\n")
            except OSError:
                status = 0
            probes.append(sent_at if status == 200 else None)
            time.sleep(max(0.0, sent_at + jitter.uniform(0.5, 1.5) - time.monotonic()))

    t = threading.Thread(target=prober, daemon=True)
    t.start()
    asyncio.run(main())
    t.join(timeout=10)

    connected = [v for v in viewers if v.greeted_at is not None]
    errors = {}
    for v in viewers:
        if v.error:
            errors[v.error] = errors.get(v.error, 0) + 1
    by_view = {}
    for v in viewers:
        view = v.view
        d = by_view.setdefault(view, {"viewers": 0, "greeted": 0, "greeting_bytes": [], "bytes": 0,
                                      "events": 0, "dropped": 0})
        d["viewers"] += 1
        d["bytes"] += v.bytes
        d["events"] += v.events
        d["dropped"] += v.closed
        if v.greeted_at is not None:
            d["greeted"] += 1
            d["greeting_bytes"].append(v.greeting_bytes)
    for view, d in by_view.items():
        g = d.pop("greeting_bytes")
        d["greeting_bytes_median"] = statistics.median(g) if g else None
        d["freshness_p99_s"] = percentile(delays.get(view, []), 99)
    every_delay = [x for values in delays.values() for x in values]
    watching = [v for v in connected if v.watches_probe]
    acked = sum(1 for p in probes if p is not None)
    result = {
        "viewers": n, "greeted": len(connected), "errors": errors,
        "probes_sent": len(probes), "probes_acknowledged": acked,
        "viewers_watching_probe": len(watching),
        "viewers_that_saw_every_probe": sum(1 for v in watching if v.seen >= acked),
        "freshness_samples": len(every_delay),
        "freshness_p50_s": percentile(every_delay, 50),
        "freshness_p99_s": percentile(every_delay, 99),
        "freshness_max_s": max(every_delay) if every_delay else None,
        "views": by_view,
        "greeting_s_p99": percentile([v.greeted_at - started for v in connected], 99),
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result, indent=1))


def feed(args):
    rng = random.Random(7)
    services = [s for s in args.services.split(",") if s != args.skip]
    # Most reports go to a few services (a Zipf-like skew), as on a real day.
    weights = [1.0 / (i + 1) for i in range(len(services))]
    batches = []
    for b in range(20):
        lines = []
        for i in range(500):
            s = rng.choices(services, weights)[0]
            lines.append(json.dumps({"service": s, "problem": "other", "reporter": f"f{b}-{i}",
                                     "lat": 40 + rng.random() * 5, "lon": -100 + rng.random() * 10}))
        batches.append(("\n".join(lines) + "\n").encode())
    stop_at = time.monotonic() + args.seconds
    sent = {"reports": 0, "refused": 0}
    page_latency = []
    page_errors = {}

    def feeder():
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
        start = time.monotonic()
        i = 0
        while time.monotonic() < stop_at and i < 10_000_000:
            body = batches[i % len(batches)]
            conn.request("POST", "/api/v1/reports", body, {"Content-Type": "application/x-ndjson"})
            r = conn.getresponse()
            r.read()
            if r.status == 200:
                sent["reports"] += 500
            else:
                sent["refused"] += 500
            i += 1
            time.sleep(max(0.0, start + i * 500.0 / args.rate - time.monotonic()))
        conn.close()

    page = args.probe_page
    reads = ["/services/" + page, f"/api/v1/services/{page}",
             f"/api/v1/services/{page}/series?step=15m&expected=1",
             f"/api/v1/incidents?service={page}&limit=5",
             f"/api/v1/services/{page}/places?level=city&limit=1000&rank=excess"]

    def pager(worker, workers):
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
        start = time.monotonic()
        i = 0
        period = workers / args.pages if args.pages > 0 else 1e9
        while time.monotonic() < stop_at and i < 10_000_000:
            t0 = time.monotonic()
            for path in reads:
                try:
                    conn.request("GET", path)
                    r = conn.getresponse()
                    r.read()
                    if r.status != 200:
                        page_errors[r.status] = page_errors.get(r.status, 0) + 1
                except OSError as e:
                    page_errors[str(e)] = page_errors.get(str(e), 0) + 1
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
            page_latency.append(time.monotonic() - t0)
            i += 1
            time.sleep(max(0.0, start + i * period - time.monotonic()))
        conn.close()

    threads = [threading.Thread(target=feeder)]
    workers = 4 if args.pages > 0 else 0
    threads += [threading.Thread(target=pager, args=(w, workers)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=args.seconds + 60)
    result = {"reports_sent": sent["reports"], "reports_refused": sent["refused"],
              "reports_per_s": sent["reports"] / args.seconds,
              "page_loads": len(page_latency), "page_errors": page_errors,
              "page_load_p50_s": percentile(page_latency, 50),
              "page_load_p99_s": percentile(page_latency, 99)}
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result, indent=1))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("crowd")
    c.add_argument("port", type=int)
    c.add_argument("--viewers", type=int, default=10000)
    c.add_argument("--seconds", type=float, default=60)
    c.add_argument("--ramp", type=float, default=20)
    c.add_argument("--probe", default="outlook")
    c.add_argument("--other-services", default="")
    c.add_argument("--everything", action="store_true",
                   help="every viewer on the stream without a view (all services, all fields)")
    c.add_argument("--out", required=True)
    f = sub.add_parser("feed")
    f.add_argument("port", type=int)
    f.add_argument("--rate", type=float, default=10000)
    f.add_argument("--seconds", type=float, default=60)
    f.add_argument("--services", required=True)
    f.add_argument("--skip", default="outlook")
    f.add_argument("--probe-page", default="outlook")
    f.add_argument("--pages", type=float, default=20)
    f.add_argument("--out", required=True)
    args = p.parse_args()
    if args.cmd == "crowd":
        crowd(args)
    else:
        feed(args)


if __name__ == "__main__":
    sys.exit(main())
