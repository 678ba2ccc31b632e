"""Stripe webhooks: what receiving one costs, and how fast stored events drain.

Prints each figure with its target (ratios measured in the same run, never
timed assertions in tests):

1. ingest: signed Stripe webhook POSTs (a new event id each, so each is
   verified, stored and its processing queued on Redis) to
   /api/billing/webhooks/stripe/ against a bare DRF POST view
   (bench/entitlements_urls.py: no authentication, body read, constant JSON)
   in the same gunicorn (DEBUG off, PostgreSQL, Redis), requests per second,
   alternating rounds, the median ratio (target >= 0.5); and, to tell our
   work from the machine's, the floor of any durable webhook: the bare view
   plus one committed INSERT ... ON CONFLICT of the body into a table of its
   own (/bench/durable-post/), against the bare view and against the webhook;
2. drain: --events stored events for existing subscriptions, drained by real
   Celery workers (prefork, 1, 2 and 4 processes, on Redis): events per second
   for each, lost (not processed) and applied twice (claimed more than once,
   or a receipt mailed twice), both must be 0, and the speed-up per worker.

What the drain measures: the subscriptions and their paid invoices exist in
the Stripe emulator (a separate process, as Stripe is) and in our database;
the stored events are what Stripe would send about them (subscription
updated, invoice paid, customer updated) and processing does what it does in
production: claims the row, re-reads the object from Stripe (the emulator,
over HTTP), applies it under the row's lock, renders the receipt mail (sent to
a dummy backend). Each worker count gets fresh events and no receipts sent.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/paywall_bench \\
    REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python bench/webhook_ingest.py [--events 10000]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.entitlements import (  # noqa: E402 - after the path set-up
    Report,
    bench_database,
    bench_start,
    http_parser,
    in_turn,
    stripe_emulator,
    under_load,
)
from bench.webhook_drain import (  # noqa: E402
    BENCH_TABLE,
    PER_SUBSCRIPTION,
    drain_counts,
    events_for,
    seed_subscriptions,
)

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.webhook_settings"
os.environ["BENCH_QUEUE"] = f"bench-webhooks-{os.getpid()}"
SECRET = "whsec_bench"  # noqa: S105 - the bench's own endpoint secret
WEBHOOK = "/api/billing/webhooks/stripe/"
BARE = "/bench/bare-post/"
DURABLE = "/bench/durable-post/"
WHY_INGEST = (
    "a webhook is the bare view's work plus an HMAC check, a JSON parse, one durable "
    "INSERT (its commit's WAL fsync) and one Celery publish to Redis; the floor line "
    "below is the bare view plus the INSERT alone."
)


# --- ingest -------------------------------------------------------------------------


def signed_post(path: str, body: bytes, now: int, event_id: str) -> bytes:
    signature = hmac.new(SECRET.encode(), f"{now}.".encode() + body, hashlib.sha256).hexdigest()
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Stripe-Signature: t={now},v1={signature}\r\nX-Bench-Id: {event_id}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body


def event_body(event_id: str, now: int) -> bytes:
    """A customer.subscription.updated as Stripe sends it (trimmed of fields we never read)."""
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "api_version": "2025-03-31.basil",
            "created": now,
            "livemode": False,
            "pending_webhooks": 1,
            "type": "customer.subscription.updated",
            "data": {
                "object": {
                    "id": "sub_bench_" + event_id[-12:],
                    "object": "subscription",
                    "customer": "cus_bench_unknown",
                    "status": "active",
                    "cancel_at_period_end": False,
                    "items": {"object": "list", "data": [{"id": "si_bench", "price": {}}]},
                },
                "previous_attributes": {"cancel_at_period_end": True},
            },
        }
    ).encode()


def _post_many(job: tuple[int, str, str, float]) -> int:
    port, path, prefix, seconds = job
    done = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        now = int(time.time())
        event_id = f"evt_{prefix}_{os.getpid()}_{done}"
        request = signed_post(path, event_body(event_id, now), now, event_id)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(request)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        answer = b"".join(chunks)
        if not answer.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"unexpected answer: {answer[:300]!r}")
        done += 1
    return done


def posts_per_second(pool: Any, port: int, path: str, prefix: str, seconds: float) -> float:
    jobs = [(port, path, f"{prefix}{i}", seconds) for i in range(pool._processes)]
    return sum(pool.map(_post_many, jobs)) / seconds


def measure_ingest(args: argparse.Namespace, env: dict[str, str], report: Report) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {BENCH_TABLE} (id text PRIMARY KEY, body jsonb NOT NULL)")
    paths = (BARE, DURABLE, WEBHOOK)
    measured: dict[str, list[float]] = {path: [] for path in paths}
    with under_load(env, args.clients) as (port, pool):
        for path in paths:
            posts_per_second(pool, port, path, "warm", 1.0)
        for round_ in range(args.rounds):
            for path in in_turn(paths, round_):
                rate = posts_per_second(pool, port, path, f"r{round_}", args.seconds)
                measured[path].append(rate)
            print(
                f"  round {round_ + 1}: webhook {measured[WEBHOOK][-1]:.0f}/s, "
                f"durable insert {measured[DURABLE][-1]:.0f}/s, bare {measured[BARE][-1]:.0f}/s"
            )

    def ratio(a: str, b: str) -> float:
        return statistics.median(x / y for x, y in zip(measured[a], measured[b], strict=True))

    def rate(path: str) -> str:
        return f"{statistics.median(measured[path]):.0f}/s"

    met = ratio(WEBHOOK, BARE) >= 0.5
    report.add(
        "webhook ingest vs bare DRF POST (requests/s)",
        f"{ratio(WEBHOOK, BARE):.3f} (median of {args.rounds}; {rate(WEBHOOK)} vs {rate(BARE)})",
        ">= 0.5",
        met,
        "" if met else WHY_INGEST,
    )
    report.add(
        "the floor: bare POST + one durable INSERT vs bare DRF POST",
        f"{ratio(DURABLE, BARE):.3f} ({rate(DURABLE)} vs {rate(BARE)})",
        "reported",
        True,
    )
    report.add(
        "webhook ingest vs that floor",
        f"{ratio(WEBHOOK, DURABLE):.3f} ({rate(WEBHOOK)} vs {rate(DURABLE)})",
        "reported",
        True,
    )


# --- drain --------------------------------------------------------------------------


@contextmanager
def celery_workers(processes: int, env: dict[str, str], log: Path) -> Iterator[None]:
    """One prefork worker (production's pool) with `processes` child processes."""
    from django.conf import settings

    from config.celery import app

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    name = f"{queue}-{processes}@{os.uname().nodename}"
    with log.open("w") as out:
        worker = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                queue,
                "--pool=prefork",
                f"--concurrency={processes}",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                name,
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while not app.control.ping(destination=[name], timeout=0.5):
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the worker did not start: see {log}")
            yield
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def drain(
    seeded: list[dict[str, str]], total: int, processes: int, env: dict[str, str]
) -> tuple[float, dict[str, int]]:
    """Store `total` fresh events, start the workers, queue them all; events/s until every
    one has a final status (or nothing moved for a minute)."""
    from billing.models import Notification, StripeEvent
    from billing.tasks import process_stripe_event

    tag = f"w{processes}"
    Notification.objects.filter(kind="receipt").delete()  # each run mails every receipt once
    StripeEvent.objects.bulk_create(events_for(seeded, total, tag), batch_size=2000)
    invoices = len({s["invoice"] for s in seeded[: -(-total // len(PER_SUBSCRIPTION))]})
    pending = StripeEvent.objects.filter(
        id__startswith=f"evt_{tag}_",
        status__in=[StripeEvent.Status.RECEIVED, StripeEvent.Status.PROCESSING],
    )
    log = Path(tempfile.gettempdir()) / f"bench-webhook-worker-{os.getpid()}-{processes}.log"
    with celery_workers(processes, env, log):
        started = time.perf_counter()
        for n in range(total):
            process_stripe_event.delay(f"evt_{tag}_{n}")
        left, last_change, last_left = total, time.monotonic(), total
        while left:
            time.sleep(0.25)
            left = pending.count()
            if left != last_left:
                last_left, last_change = left, time.monotonic()
            elif time.monotonic() - last_change > 60:
                break
        elapsed = time.perf_counter() - started
    return (total - left) / elapsed, drain_counts(tag, invoices)


def measure_drain(args: argparse.Namespace, env: dict[str, str], report: Report) -> None:
    from django.conf import settings

    with stripe_emulator(env):
        env = {
            **env,
            "STRIPE_API_BASE": settings.STRIPE_API_BASE,
            "STRIPE_SECRET_KEY": "sk_test_bench",
        }
        started = time.monotonic()
        seeded = seed_subscriptions(max(1, -(-args.events // len(PER_SUBSCRIPTION))))
        print(f"seeded {len(seeded)} subscriptions in {time.monotonic() - started:.0f}s")
        rates = {}
        for processes in args.workers:
            rate, counts = drain(seeded, args.events, processes, env)
            rates[processes] = rate
            clean = (
                counts["lost"] == 0
                and counts["claimed_twice"] == 0
                and counts["receipts_twice"] == 0
            )
            print(f"  {processes} worker process(es): {rate:.1f} events/s; {counts}")
            report.add(
                f"drain {args.events:,} events, {processes} worker process(es)",
                f"{rate:.1f} events/s; lost {counts['lost']}, applied twice "
                f"{counts['claimed_twice'] + counts['receipts_twice']}",
                "0 lost, 0 twice",
                clean and counts["receipts"] == counts["receipts_expected"],
                f"receipts {counts['receipts']} of {counts['receipts_expected']}; "
                f"failed {counts['failed']}",
            )
        first = min(rates)
        for processes, rate in rates.items():
            if processes != first:
                speedup = rate / rates[first]
                report.add(
                    f"drain speed-up, {processes} vs {first} process(es)",
                    f"{speedup:.2f}x ({speedup / (processes / first):.0%} of linear)",
                    "reported",
                    True,
                )


def main() -> None:
    parser = http_parser()
    parser.add_argument("--events", type=int, default=10_000, help="events per drain")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--skip-drain", action="store_true")
    args = parser.parse_args()
    report = bench_start("Webhook bench")
    from django.conf import settings

    with bench_database() as (test_db, env):
        print(f"database {test_db}; queue {settings.CELERY_TASK_DEFAULT_QUEUE}")
        try:
            if not args.skip_ingest:
                measure_ingest(args, env, report)
                _forget_queue(settings)  # the ingested events' messages: not the drain's work
            if not args.skip_drain:
                measure_drain(args, env, report)
        finally:
            _forget_queue(settings)
    report.print()
    print(f"\nmachine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")


def _forget_queue(settings: Any) -> None:
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    client.delete(queue, *client.scan_iter(match=f"_kombu.binding*.{queue}", count=1000))


if __name__ == "__main__":
    main()
