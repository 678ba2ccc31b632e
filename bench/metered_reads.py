"""Anonymous metered reads: what counting a new article costs.

Every request is POST /api/entitlements/articles/<a new article>/read/ by an
anonymous reader (the signed X-Reader-Id the first answer hands back): each
reader reads FREE_ARTICLES_PER_MONTH new articles (3), then the client starts
a new reader, as a stream of visitors would. Each read is granted and counted:
with METER_STORE=redis (the default with REDIS_URL) by one Lua script in Redis,
while a drain in this process moves the stream into PostgreSQL every
METER_DRAIN_SECONDS, as the periodic task does on a worker; with
METER_STORE=database in PostgreSQL on the request (the meter row created or
locked, one MeteredRead inserted, the cached decision invalidated). Against
the bare DRF POST view (bench/entitlements_urls.py: no authentication,
constant JSON) in the same gunicorn (DEBUG off, PostgreSQL, Redis): requests
per second, alternating rounds, the median ratio (target >= 0.3). After a last
drain the bench checks that every read was counted (one MeteredRead row per
granted read).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/paywall_bench \\
    REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python bench/metered_reads.py

METER_STORE=database in the environment measures the PostgreSQL path.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.entitlements import (  # noqa: E402 - after the path set-up
    WORKERS,
    bench_database,
    bench_start,
    free_port,
    gunicorn_command,
    http_parser,
    in_turn,
    running,
)

BARE = "/bench/bare-post/"
READS_PER_READER = 3  # FREE_ARTICLES_PER_MONTH's default: every read is granted
WHY = (
    "with METER_STORE=database a new article is a decision (a Redis MGET, and on a miss the "
    "reader's meter from PostgreSQL), a transaction with the meter row's INSERT ... ON "
    "CONFLICT and lock, one MeteredRead INSERT and its commit, then the cached decision "
    "invalidated; the commit's fsync on a shared machine weighs most. With METER_STORE=redis "
    "it is Redis round trips only: if this misses, look at the load average."
)


def _drain_every(seconds: float, stop: threading.Event, moved: list[int]) -> None:
    """The periodic drain, as beat and a worker run it, while the load runs."""
    from django.db import connection

    from entitlements.meter_drain import meter_drain

    try:
        while not stop.wait(seconds):
            moved.append(meter_drain())
    finally:
        connection.close()


def _read_many(job: tuple[int, str, float]) -> tuple[int, int]:
    """(requests, of which granted reads of a new article) for `seconds`."""
    port, path_prefix, seconds = job
    done = granted = 0
    reader = ""
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        if done % READS_PER_READER == 0:
            reader = ""  # a new visitor
        path = (
            path_prefix
            if path_prefix.startswith("/bench/")
            else (f"{path_prefix}{os.getpid()}-{done}/read/")
        )
        header = f"X-Reader-Id: {reader}\r\n" if reader else ""
        request = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{header}"
            "Content-Length: 0\r\nConnection: close\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(request)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        answer = b"".join(chunks)
        if not answer.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"unexpected answer: {answer[:300]!r}")
        head, _, body = answer.partition(b"\r\n\r\n")
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"x-reader-id:"):
                reader = line.split(b":", 1)[1].strip().decode()
        granted += b'"granted":true' in body.replace(b" ", b"")
        done += 1
    return done, granted


def reads_per_second(pool: Any, port: int, path: str, seconds: float) -> tuple[float, int]:
    results = pool.map(_read_many, [(port, path, seconds)] * pool._processes)
    return sum(r[0] for r in results) / seconds, sum(r[1] for r in results)


def main() -> None:
    args = http_parser().parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.entitlements_settings"
    report = bench_start("Metered reads bench")
    from django.conf import settings

    from entitlements.meter_drain import meter_drain, meter_pending
    from entitlements.models import MeteredRead

    with bench_database() as (test_db, env):
        env["FREE_ARTICLES_PER_MONTH"] = str(READS_PER_READER)
        port = free_port()
        gunicorn = gunicorn_command(port)
        store = settings.METER_STORE
        print(
            f"database {test_db}; gunicorn: {WORKERS} sync workers; {args.clients} clients; "
            f"METER_STORE={store}, drained every {settings.METER_DRAIN_SECONDS} s"
        )
        stop, moved = threading.Event(), []
        drainer = threading.Thread(
            target=_drain_every, args=(settings.METER_DRAIN_SECONDS, stop, moved), daemon=True
        )
        drainer.start()
        try:
            with running(gunicorn, port, env), multiprocessing.Pool(args.clients) as pool:
                for path in (BARE, "/api/entitlements/articles/warm-"):
                    reads_per_second(pool, port, path, 1.0)
                bare, reads, ratios, granted_total = [], [], [], 0
                for round_ in range(args.rounds):
                    paths = [BARE, f"/api/entitlements/articles/r{round_}-"]
                    measured = {}
                    for path in in_turn(paths, round_):
                        measured[path], granted = reads_per_second(pool, port, path, args.seconds)
                        if path != BARE:
                            granted_total += granted
                    bare.append(measured[BARE])
                    reads.append(measured[paths[1]])
                    ratios.append(reads[-1] / bare[-1])
                    print(
                        f"  round {round_ + 1}: metered reads {reads[-1]:.0f}/s, "
                        f"bare {bare[-1]:.0f}/s, ratio {ratios[-1]:.3f}"
                    )
            stop.set()
            drainer.join()
            waiting = meter_pending() or 0
            while meter_drain():  # the last drain: what the load left in the stream
                pass
            counted = MeteredRead.objects.exclude(article_id__startswith="warm-").count()
            print(
                f"  drained during the rounds: {sum(moved):,} reads in {len(moved)} drains; "
                f"{waiting:,} waiting at the end, drained then"
            )
            ratio = statistics.median(ratios)
            report.add(
                f"anonymous metered reads (new article, METER_STORE={store}) vs bare DRF POST "
                "(requests/s)",
                f"{ratio:.3f} (median of {args.rounds}; {statistics.median(reads):.0f}/s vs "
                f"{statistics.median(bare):.0f}/s)",
                ">= 0.3",
                ratio >= 0.3,
                "" if ratio >= 0.3 else WHY,
            )
            report.add(
                "every granted read counted in PostgreSQL (after the last drain)",
                f"{counted:,} rows for {granted_total:,} granted reads",
                "equal",
                counted == granted_total,
            )
        finally:
            stop.set()
    report.print()
    print(f"\nmachine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
