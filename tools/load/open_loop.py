#!/usr/bin/env python3
"""An open-loop load generator for tools/load/overload.sh: requests are sent at a fixed rate
whether or not earlier ones were answered, as a crowd of independent clients sends them (a
closed-loop client such as wrk waits for each answer, so it never offers more than the server
takes). Standard library only; targets 127.0.0.1; bounded in time and in requests in flight.

  open_loop.py PORT --rate R --seconds S --body FILE --out FILE.json [--max-in-flight N]

POSTs FILE (NDJSON) to /api/v1/reports R times a second for S seconds, over as many keep-alive
connections as the answers' pace needs, at most N requests in flight (a request due while N
are in flight is counted as not sent). Records every answer's status, whether a 429 or 503
carried Retry-After, the reports acknowledged (the answers' `accepted`), and latencies.
"""

import argparse
import asyncio
import json
import sys
import time


def percentile(values, p):
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100.0 * len(s)))]


async def exchange(port, pool, request, stats):
    """One request on a pooled connection (or a new one); the connection goes back to the pool
    when the server keeps it open."""
    started = time.monotonic()
    reader = writer = None
    try:
        if pool:
            reader, writer = pool.pop()
        else:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
        writer.write(request)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 60)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        body = await asyncio.wait_for(reader.readexactly(int(headers.get("content-length", "0"))), 60)
        latency = time.monotonic() - started
        stats["answers"][status] = stats["answers"].get(status, 0) + 1
        stats["latency"].setdefault(status, []).append(latency)
        if status == 200:
            stats["acknowledged"] += json.loads(body).get("accepted", 0)
        elif status in (429, 503) and "retry-after" not in headers:
            stats["without_retry_after"] += 1
        if headers.get("connection", "").lower() == "close":
            writer.close()
        else:
            pool.append((reader, writer))
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError,
            asyncio.LimitOverrunError) as e:
        stats["failed"][type(e).__name__] = stats["failed"].get(type(e).__name__, 0) + 1
        if writer is not None:
            writer.close()


async def run(args):
    with open(args.body, "rb") as f:
        body = f.read()
    request = (f"POST /api/v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               f"Content-Type: application/x-ndjson\r\nContent-Length: {len(body)}\r\n\r\n"
               ).encode() + body
    stats = {"answers": {}, "latency": {}, "acknowledged": 0, "without_retry_after": 0,
             "failed": {}, "sent": 0, "not_sent": 0}
    pool = []
    in_flight = set()
    start = time.monotonic()
    due = 0
    total = int(args.rate * args.seconds)
    while due < total:
        now = time.monotonic()
        # Every request whose time has come is sent now: the schedule does not wait for answers.
        while due < total and start + due / args.rate <= now:
            due += 1
            if len(in_flight) >= args.max_in_flight:
                stats["not_sent"] += 1
                continue
            task = asyncio.ensure_future(exchange(args.port, pool, request, stats))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
            stats["sent"] += 1
        await asyncio.sleep(max(0.0, min(0.01, start + due / args.rate - time.monotonic())))
    elapsed = time.monotonic() - start
    if in_flight:
        await asyncio.wait(in_flight, timeout=90)
    for _, writer in pool:
        writer.close()
    lat = stats.pop("latency")
    stats["latency_p50_ms"] = {s: round(percentile(v, 50) * 1000, 1) for s, v in lat.items()}
    stats["latency_p99_ms"] = {s: round(percentile(v, 99) * 1000, 1) for s, v in lat.items()}
    stats["answers"] = {str(k): v for k, v in sorted(stats["answers"].items())}
    stats["offered_requests_per_s"] = round(stats["sent"] / elapsed, 1)
    stats["schedule_seconds"] = round(elapsed, 2)
    return stats


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("port", type=int)
    p.add_argument("--rate", type=float, required=True, help="requests a second")
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--body", required=True)
    p.add_argument("--max-in-flight", type=int, default=4000)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    stats = asyncio.run(run(args))
    with open(args.out, "w") as f:
        json.dump(stats, f, indent=1)
    print(json.dumps(stats, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
