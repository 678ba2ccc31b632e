"""A publisher's day (bench/publisher_day.py) for a few seconds with a few users.

The whole service as the bench runs it: gunicorn (DEBUG off), a prefork
Celery worker on Redis, PostgreSQL, and the emulator as Stripe delivering
its webhooks while its clock moves a day every quarter of a second. No
timing is asserted: what must hold is what the bench reports, every endpoint
of the mix exercised, no error, no 5xx, every webhook processed once.
"""

import pytest
from django.conf import settings

from bench.publisher_day import (
    LOAD_ENV,
    WEBHOOK_PATH,
    ClockDriver,
    day_checks,
    run_locust,
    settle,
)
from tests.helpers.instances import web_instances
from tests.worker import celery_worker

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ENDPOINTS = {
    "GET /api/entitlements/me/ (anonymous)",
    "POST /api/entitlements/articles/[id]/read/",
    "POST /api/entitlements/articles/[id]/read/ (two tabs)",
    "POST /api/auth/registration/",
    "POST /api/auth/login/",
    "GET /api/entitlements/me/ (signed in)",
    "GET /api/billing/subscription/",
    "POST /api/billing/trial/",
    "POST /api/billing/trial/ (double click)",
    "POST /api/billing/subscription/cancel/",
}
# Two anonymous visitors and two signed-in readers (bench/locustfile.py): one journey in
# three cancels, one in four double-clicks its trial; short waits, so that several
# journeys fit in the run.
MIX = {"BENCH_DAY_ANON_WEIGHT": "1", "BENCH_DAY_READER_WEIGHT": "1", "BENCH_DAY_THINK": "0.1,0.3"}


def test_a_short_day_exercises_every_endpoint_without_error_and_settles_its_webhooks(
    stripe, plans, tmp_path
):
    with web_instances("web", stripe_url=stripe.url, stripe_key=stripe.api_key, env=LOAD_ENV) as (
        web,
    ):
        stripe.register_webhook(web.url + WEBHOOK_PATH, secret=settings.STRIPE_WEBHOOK_SECRETS[0])
        with celery_worker(
            stripe_url=stripe.url,
            stripe_key=stripe.api_key,
            env=LOAD_ENV,
            output=tmp_path / "worker.log",
            pool="prefork",
        ):
            clock = ClockDriver(stripe.url, every=0.25)
            clock.start()
            try:
                run = run_locust(
                    web.url, users=4, spawn_rate=4, seconds=12, workdir=tmp_path, env=MIX
                )
            finally:
                clock.stop()
            settle(stripe.url)
        checks = day_checks(stripe.url)

    log = (tmp_path / "locust.log").read_text()
    served = {e.name: e.requests for e in run.endpoints}
    assert set(served) == ENDPOINTS, log
    assert all(served.values()), served
    assert (run.total.failures, run.failures, run.server_errors) == (0, [], {}), log
    assert run.exceptions == [], log
    assert run.counts["registrations"] >= 2
    assert run.counts["trials"] == checks.subscriptions >= 2
    assert run.counts["cancellations"] >= 1
    assert clock.advances > 0
    assert clock.errors == []
    assert checks.deliveries > 0
    assert (checks.deliveries_5xx, checks.deliveries_other) == (0, 0)
    assert checks.events.get("processed", 0) > 0
    assert (checks.events.get("failed", 0), checks.stuck) == (0, 0), checks.events
    assert (checks.readers_with_two, checks.receipts_twice) == (0, 0)
    assert checks.mirror_mismatches == []
