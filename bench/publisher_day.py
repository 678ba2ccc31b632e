"""A publisher's day under load: Locust (headless) against the whole service.

What runs, each a real process as in production: the Stripe emulator (its
webhooks, signed, delivered to our /api/billing/webhooks/stripe/), gunicorn
(production settings, DEBUG off: bench/day_settings.py), a prefork
Celery worker on Redis processing the webhooks, PostgreSQL and Redis from
DATABASE_URL and REDIS_URL (a database of its own, created and dropped; its
own cache prefix and queue). The plan catalogue is synced into the emulator
first, as `manage.py seed` does.

The mix is bench/locustfile.py's (its docstring has the weights): about 90%
anonymous reading (the decision and the metered read, with the signed
X-Reader-Id), the rest signed-in checks, registrations, logins, trials
(pm_card_visa), double submits and cancellations. Meanwhile a thread here
moves the emulator's clock one day every --day-every seconds, so trials
end, renewals are charged and cancellations take effect under load; their
webhooks go through the service and the worker like every other request.
No beat: the periodic jobs (reconciliation, requeueing) are safety nets,
left out so that the mirror's agreement with Stripe is the webhooks' work.

Then it waits for the webhooks to settle (the emulator's deliveries, retries
included, and our processing) and prints, per endpoint, requests, failures
and the p50, p95 and p99 latency (ms, Locust's figures), the error rate and
the count of 5xx answers (to Locust and to Stripe's deliveries), and whether
the day's webhooks were all processed (no StripeEvent failed or stuck) and
nothing applied twice (one subscription per reader who started a trial, as
many as trials started; no receipt twice), whether our subscriptions match
Stripe's, and how long webhooks waited between being stored and processed.
Target: 0 errors, no 5xx.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/paywall_bench \\
    REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python bench/publisher_day.py \\
        [--users 40] [--seconds 120] [--day-every 1.0] [--workers 2]

The throttles on registration and login per client IP are raised for the
run (every simulated reader comes from 127.0.0.1), and TRIAL_ONE_PER_CARD is
off (every reader pays with the same test card). The parts here import
nothing on import and change no environment: tests/bench/test_publisher_day.py
runs a short day with them.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DAY = 24 * 60 * 60
WEBHOOK_PATH = "/api/billing/webhooks/stripe/"
# Every simulated reader comes from 127.0.0.1: per-IP limits for a crowd of one address.
LOAD_ENV = {
    "THROTTLE_REGISTRATION_IP": "100000/hour",
    "THROTTLE_LOGIN_IP": "100000/min",
    "TRIAL_ONE_PER_CARD": "false",
}


def control(emulator_url: str, method: str, path: str, body: Any = None) -> Any:
    """One call of the emulator's control API (no key; loopback)."""
    request = urllib.request.Request(  # noqa: S310 - the emulator on loopback
        emulator_url + path,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
        return json.loads(response.read())


class ClockDriver(threading.Thread):
    """Moves the emulator's clock `step` seconds every `every` seconds until stopped."""

    def __init__(self, emulator_url: str, every: float, step: int = DAY) -> None:
        super().__init__(daemon=True)
        self.emulator_url, self.every, self.step = emulator_url, every, step
        self.advances = 0
        self.transitions = 0
        self.errors: list[str] = []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(self.every):
            try:
                moved = control(
                    self.emulator_url, "POST", "/_emulator/clock/advance", {"seconds": self.step}
                )
            except OSError as error:
                self.errors.append(str(error))
                continue
            self.advances += 1
            self.transitions += len(moved.get("transitions", []))

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=180)


@dataclass
class Endpoint:
    name: str
    requests: int
    failures: int
    p50: str
    p95: str
    p99: str


@dataclass
class LocustRun:
    endpoints: list[Endpoint]
    total: Endpoint
    failures: list[tuple[str, str, int]]  # (endpoint, error, occurrences)
    exceptions: list[tuple[int, str]]  # (count, message) raised in the locustfile
    server_errors: dict[str, int]
    counts: dict[str, int]
    returncode: int


def run_locust(
    host: str,
    *,
    users: int,
    spawn_rate: float,
    seconds: int,
    workdir: Path,
    env: dict[str, str] | None = None,
) -> LocustRun:
    """bench/locustfile.py headless against `host` for `seconds`; its figures, parsed."""
    prefix = workdir / "day"
    summary = workdir / "summary.json"
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        f"--host={host}",
        f"--users={users}",
        f"--spawn-rate={spawn_rate}",
        f"--run-time={seconds}s",
        f"--csv={prefix}",
        "--only-summary",
        "--stop-timeout=10",
        "--loglevel=WARNING",
    ]
    with (workdir / "locust.log").open("w") as log:
        process = subprocess.run(  # noqa: S603 - our own interpreter and locustfile
            command,
            cwd=ROOT,
            env={**os.environ, **(env or {}), "BENCH_DAY_SUMMARY": str(summary)},
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=seconds + 180,
            check=False,
        )
    stats = workdir / "day_stats.csv"
    if not stats.exists():
        raise RuntimeError(f"Locust wrote no figures: {(workdir / 'locust.log').read_text()}")
    rows = list(csv.DictReader(stats.open()))
    endpoints = [_endpoint(row) for row in rows if row["Name"] != "Aggregated"]
    total = next(_endpoint(row) for row in rows if row["Name"] == "Aggregated")
    failures = [
        (row["Name"], row["Error"], int(row["Occurrences"]))
        for row in csv.DictReader((workdir / "day_failures.csv").open())
    ]
    # An exception in a user's code is not a request failure in Locust's figures.
    exceptions = [
        (int(row["Count"]), row["Message"])
        for row in csv.DictReader((workdir / "day_exceptions.csv").open())
    ]
    written = json.loads(summary.read_text()) if summary.exists() else {}
    return LocustRun(
        endpoints=sorted(endpoints, key=lambda e: -e.requests),
        total=total,
        failures=failures,
        exceptions=exceptions,
        server_errors=written.get("server_errors", {}),
        counts=written.get("counts", {}),
        returncode=process.returncode,
    )


def _endpoint(row: dict[str, str]) -> Endpoint:
    return Endpoint(
        name=row["Name"],
        requests=int(row["Request Count"]),
        failures=int(row["Failure Count"]),
        p50=row["50%"],
        p95=row["95%"],
        p99=row["99%"],
    )


def settle(emulator_url: str, *, quiet_for: float = 30.0) -> None:
    """Every webhook the day caused delivered (retries made or given up) and processed:
    returns once no StripeEvent is received or processing, or nothing moved for `quiet_for`."""
    from billing.models import StripeEvent

    control(emulator_url, "POST", "/_emulator/webhooks/flush", {"retries": True, "timeout": 120})
    pending = StripeEvent.objects.filter(
        status__in=[StripeEvent.Status.RECEIVED, StripeEvent.Status.PROCESSING]
    )
    left, last, since = pending.count(), -1, time.monotonic()
    while left and time.monotonic() - since < quiet_for:
        time.sleep(0.5)
        left = pending.count()
        if left != last:
            last, since = left, time.monotonic()


@dataclass
class DayChecks:
    events: dict[str, int]  # StripeEvent count per status
    deliveries: int  # the emulator's delivery attempts to our endpoint
    deliveries_5xx: int
    deliveries_other: int  # not 2xx and not 5xx (a 400 would be a bad signature)
    subscriptions: int
    readers_with_two: int  # readers with more than one subscription
    receipts: int
    receipts_twice: int
    mirror_mismatches: list[str] = field(default_factory=list)
    lag_ms: tuple[float, float, float] = (0.0, 0.0, 0.0)  # received -> done: p50, p95, p99

    @property
    def stuck(self) -> int:
        return self.events.get("received", 0) + self.events.get("processing", 0)


def day_checks(emulator_url: str) -> DayChecks:
    """What the day left in our database and in Stripe (the emulator)."""
    from django.db.models import Count

    from billing import gateway
    from billing.models import Notification, StripeEvent, Subscription

    attempts = control(emulator_url, "GET", "/_emulator/webhooks")["attempts"]
    statuses = [a.get("status") or 0 for a in attempts]
    receipts = Notification.objects.filter(kind="receipt")
    mismatches = []
    for sub in Subscription.objects.all():
        stripe_sub = gateway.subscription_retrieve(subscription_id=sub.stripe_subscription_id)
        theirs = (stripe_sub["status"], bool(stripe_sub["cancel_at_period_end"]))
        ours = (sub.status, sub.cancel_at_period_end)
        if theirs != ours:
            mismatches.append(f"{sub.stripe_subscription_id}: ours {ours}, Stripe's {theirs}")
    done = StripeEvent.objects.filter(processed_at__isnull=False).values_list(
        "received_at", "processed_at"
    )
    lags = sorted((end - start).total_seconds() * 1000 for start, end in done)
    return DayChecks(
        lag_ms=_percentiles(lags),
        events=dict(Counter(StripeEvent.objects.values_list("status", flat=True))),
        deliveries=len(attempts),
        deliveries_5xx=sum(1 for s in statuses if s >= 500),
        deliveries_other=sum(1 for s in statuses if not 200 <= s < 300 and s < 500),
        subscriptions=Subscription.objects.count(),
        readers_with_two=Subscription.objects.values("user")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count(),
        receipts=receipts.count(),
        receipts_twice=receipts.values("key").annotate(n=Count("id")).filter(n__gt=1).count(),
        mirror_mismatches=mismatches,
    )


def _percentiles(ordered: list[float]) -> tuple[float, float, float]:
    if not ordered:
        return (0.0, 0.0, 0.0)
    at = [ordered[min(len(ordered) - 1, int(q * len(ordered)))] for q in (0.5, 0.95, 0.99)]
    return (at[0], at[1], at[2])


def print_table(run: LocustRun, seconds: float) -> None:
    total = run.total.requests or 1
    width = max(len(e.name) for e in [*run.endpoints, run.total])
    print(
        f"\n{'endpoint':<{width}}  {'requests':>8} {'share':>6} {'failed':>6}"
        f" {'p50':>6} {'p95':>6} {'p99':>6}  (ms)"
    )
    for e in [*run.endpoints, run.total]:
        print(
            f"{e.name:<{width}}  {e.requests:>8} {e.requests / total:>6.1%} {e.failures:>6}"
            f" {e.p50:>6} {e.p95:>6} {e.p99:>6}"
        )
    print(f"{run.total.requests / seconds:.1f} requests/s over {seconds:.0f} s")
    for name, error, times in run.failures[:10]:
        print(f"  failed {times}x {name}: {error[:240]}")
    for times, message in run.exceptions[:10]:
        print(f"  raised {times}x in the locustfile: {message[:240]}")


def add_targets(report: Any, run: LocustRun, checks: DayChecks, clock: ClockDriver) -> None:
    """The day's targets as Report rows: 0 errors, no 5xx, webhooks processed, nothing twice."""
    requests, failed = run.total.requests, run.total.failures
    fivexx = sum(run.server_errors.values()) + checks.deliveries_5xx
    raised = sum(times for times, _ in run.exceptions)
    report.add(
        "errors (failed requests)",
        f"{failed} of {requests} ({failed / max(requests, 1):.2%})",
        "0",
        failed == 0 and raised == 0,
        f"and {raised} exceptions in the locustfile" if raised else "",
    )
    report.add(
        "5xx answers (to Locust; to Stripe's deliveries)",
        f"{sum(run.server_errors.values())}; {checks.deliveries_5xx} of "
        f"{checks.deliveries} deliveries",
        "0",
        fivexx == 0,
        f"other non-2xx deliveries: {checks.deliveries_other}",
    )
    events = sum(checks.events.values())
    failed_events = checks.events.get("failed", 0)
    report.add(
        "webhooks processed",
        f"{events} events: {checks.events}",
        "0 failed, 0 stuck",
        events > 0 and failed_events == 0 and checks.stuck == 0,
        f"clock moved {clock.advances} days, {clock.transitions} transitions; "
        f"clock errors {len(clock.errors)}",
    )
    p50, p95, p99 = checks.lag_ms
    report.add(
        "webhook stored -> processed by the worker (ms)",
        f"p50 {p50:.0f}, p95 {p95:.0f}, p99 {p99:.0f}",
        "reported",
        True,
    )
    trials = run.counts.get("trials", 0)
    report.add(
        "applied twice",
        f"{checks.readers_with_two} readers with 2+ subscriptions, "
        f"{checks.receipts_twice} receipts twice ({checks.receipts} receipts)",
        "0",
        checks.readers_with_two == 0 and checks.receipts_twice == 0,
    )
    report.add(
        "trials started vs subscriptions here",
        f"{trials} vs {checks.subscriptions}",
        "equal",
        trials == checks.subscriptions,
    )
    report.add(
        "our subscriptions match Stripe's (status, cancelling)",
        f"{checks.subscriptions - len(checks.mirror_mismatches)} of {checks.subscriptions}",
        "all",
        not checks.mirror_mismatches,
        "; ".join(checks.mirror_mismatches[:3]),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=40, help="simulated readers at once")
    parser.add_argument("--spawn-rate", type=float, default=10, help="users started per second")
    parser.add_argument("--seconds", type=int, default=120, help="how long the load runs")
    parser.add_argument(
        "--day-every", type=float, default=1.0, help="real seconds per day of Stripe's clock"
    )
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from bench.entitlements import (
        WORKERS,
        bench_database,
        bench_start,
        emulator_command,
        free_port,
        gunicorn_command,
        running,
    )
    from bench.webhook_ingest import _forget_queue, celery_workers

    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.day_settings"
    report = bench_start("A publisher's day")
    from django.conf import settings

    from billing.services import plan_sync_catalogue

    with bench_database() as (test_db, env):
        workdir = Path(tempfile.mkdtemp(prefix="bench-day-"))
        port, stripe_port = free_port(), free_port()
        stripe_url = f"http://127.0.0.1:{stripe_port}"
        env.update(LOAD_ENV, STRIPE_API_BASE=stripe_url, STRIPE_SECRET_KEY="sk_test_bench")  # noqa: S106 - the emulator's
        env.pop("STRIPE_MAX_NETWORK_RETRIES", None)  # the SDK's retries, as in production
        emulator = emulator_command(
            stripe_port,
            f"--webhook-url=http://127.0.0.1:{port}{WEBHOOK_PATH}",
            f"--webhook-secret={settings.STRIPE_WEBHOOK_SECRETS[0]}",
        )
        print(f"database {test_db}; queue {settings.CELERY_TASK_DEFAULT_QUEUE}; files {workdir}")
        print(
            f"{args.users} users for {args.seconds} s; a Stripe day every {args.day_every} s; "
            f"gunicorn {WORKERS} sync workers; Celery prefork, {args.workers} processes"
        )
        try:
            with running(emulator, stripe_port, env):
                settings.STRIPE_API_BASE, settings.STRIPE_SECRET_KEY = stripe_url, "sk_test_bench"
                with (
                    celery_workers(args.workers, env, workdir / "worker.log"),
                    running(gunicorn_command(port), port, env),
                ):
                    # Once the service listens: the catalogue's own webhooks are answered too.
                    plan_sync_catalogue(catalogue=settings.BILLING_PLANS)
                    clock = ClockDriver(stripe_url, args.day_every)
                    clock.start()
                    started = time.monotonic()
                    try:
                        run = run_locust(
                            f"http://127.0.0.1:{port}",
                            users=args.users,
                            spawn_rate=args.spawn_rate,
                            seconds=args.seconds,
                            workdir=workdir,
                            env=env,
                        )
                    finally:
                        clock.stop()
                    elapsed = time.monotonic() - started
                    settle(stripe_url)
                checks = day_checks(stripe_url)
        finally:
            _forget_queue(settings)
    print_table(run, min(elapsed, args.seconds))
    add_targets(report, run, checks, clock)
    report.print()
    print(
        f"\nmachine: {os.cpu_count()} CPUs, load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end"
    )


if __name__ == "__main__":
    main()
