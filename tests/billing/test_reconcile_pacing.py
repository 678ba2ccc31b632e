"""The reconciliation held to Stripe's rate limits: RECONCILE_STRIPE_READS_PER_SECOND
requests in any one second (Stripe allows 25/s in test mode, 100/s live), and a pass
resumed from its cursor where a broken chain of parts stopped."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from audit.models import AuditLog
from billing.models import Customer
from billing.services.reconcile import (
    CURSOR_KEY,
    ReadsPerSecond,
    reconcile_cursor_save,
    subscriptions_reconcile,
)
from billing.tasks import reconcile_subscriptions
from tests.factories import UserFactory
from tests.helpers.clients import client_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db]


def most_in_one_second(times: list[float]) -> int:
    return max(sum(1 for t in times if start <= t < start + 1.0) for start in times)


class FakeClock:
    """Our clock for the limiter alone: sleeping moves it on."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.mark.parametrize("rate", [5, 20, 0.5])
def test_the_limiter_never_lets_more_than_the_rate_into_one_second(rate):
    clock = FakeClock()
    limiter = ReadsPerSecond(rate, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(60):
        limiter.acquire()
        starts.append(clock.now)

    assert most_in_one_second(starts) <= max(1, rate)
    # and it does not wait for nothing: the rate is nearly reached
    assert starts[-1] - starts[0] <= 60 / rate * ReadsPerSecond.WINDOW


def drifted_readers(stripe_sdk, count: int) -> list[str]:
    """Readers on a trial whose subscription changed in Stripe only (what a run repairs)."""
    ids = []
    for n in range(count):
        reader = client_for(UserFactory(email=f"paced{n}@example.com"))
        body = reader.post("/api/billing/trial/", {"plan": "monthly"}, format="json").json()
        stripe_sdk.v1.subscriptions.update(body["id"], params={"cancel_at_period_end": True})
        ids.append(body["id"])
    return ids


def test_stripe_never_sees_more_than_the_budget_in_one_second(plans, stripe, stripe_sdk, settings):
    settings.RECONCILE_STRIPE_READS_PER_SECOND = 5
    ids = drifted_readers(stripe_sdk, 6)
    seen = len(stripe.requests())

    changed = subscriptions_reconcile()

    assert sorted(changed) == sorted(ids)
    times = [entry["time"] for entry in stripe.requests()[seen:]]
    assert len(times) >= 12  # a list and a read per reader: more than two seconds' worth
    assert most_in_one_second(times) <= 5


def reconciled() -> set[str]:
    return set(
        AuditLog.objects.filter(action="subscription.reconciled").values_list(
            "stripe_object_id", flat=True
        )
    )


def test_a_pass_whose_chain_broke_resumes_after_its_cursor(plans, stripe, stripe_sdk, settings):
    from django.core.cache import cache

    settings.CELERY_TASK_SOFT_TIME_LIMIT = 0  # each part: one customer, then the next part
    _first, *rest = drifted_readers(stripe_sdk, 3)
    customers = list(Customer.objects.order_by("pk"))
    # A part that stopped after the first customer, and a chain that broke there.
    with time_machine.travel(timezone.now() - timedelta(hours=1)):
        reconcile_cursor_save(customers[0].pk)

    reconcile_subscriptions.apply()  # beat's run

    assert reconciled() == set(rest)  # the first customer was not read again
    assert cache.get(CURSOR_KEY) is None  # the pass is complete: the next one starts at 0


def test_beat_starts_no_second_pass_while_one_is_under_way(plans, stripe, stripe_sdk):
    drifted_readers(stripe_sdk, 1)
    reconcile_cursor_save(0)  # a part of a pass just moved the cursor

    assert reconcile_subscriptions.apply().get() == 0

    assert reconciled() == set()
