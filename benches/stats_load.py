#!/usr/bin/env python3
"""A small closed-loop load driver for benches/stats.sh: sends WARMUP requests (not
measured), then REQUESTS requests over CONCURRENCY keep-alive connections (each sends its
next request when the last is answered) to one URL with a bearer token, and prints one line:

    requests=N rps=R p50_ms=.. p90_ms=.. p99_ms=.. max_ms=.. errors=E bytes=B

Latency is from sending the request until the whole body is read (Python's time.perf_counter;
the driver's own overhead is well under a millisecond per request, small against statistics
answers of tens of milliseconds). Percentiles by nearest rank. Only the standard library.

    python3 benches/stats_load.py --url http://127.0.0.1:8080/api/v1/stats/reports?... --token T
"""

import argparse
import http.client
import math
import threading
import time
import urllib.parse


def percentile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    rank = min(max(math.ceil(q * len(sorted_values)), 1), len(sorted_values))
    return sorted_values[rank - 1]


def worker(url, token, count, latencies, errors, sizes, lock):
    parts = urllib.parse.urlsplit(url)
    path = parts.path + ("?" + parts.query if parts.query else "")
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    for _ in range(count):
        started = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
            body, ok = b"", False
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            sizes.append(len(body))
            if not ok:
                errors.append(1)
    conn.close()


def run(url, token, requests, concurrency):
    latencies, errors, sizes, lock = [], [], [], threading.Lock()
    share = [requests // concurrency + (1 if i < requests % concurrency else 0) for i in range(concurrency)]
    threads = [threading.Thread(target=worker, args=(url, token, n, latencies, errors, sizes, lock)) for n in share]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, sorted(latencies), len(errors), sizes


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    if args.warmup > 0:
        run(args.url, args.token, args.warmup, min(args.concurrency, args.warmup))
    elapsed, latencies, errors, sizes = run(args.url, args.token, args.requests, args.concurrency)
    ms = [v * 1000 for v in latencies]
    print(
        f"requests={len(ms)} rps={len(ms) / elapsed:.1f} p50_ms={percentile(ms, 0.5):.1f} "
        f"p90_ms={percentile(ms, 0.9):.1f} p99_ms={percentile(ms, 0.99):.1f} max_ms={ms[-1]:.1f} "
        f"errors={errors} bytes={max(sizes) if sizes else 0}"
    )


if __name__ == "__main__":
    main()
