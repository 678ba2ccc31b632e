"""Reconciliation with a real worker: more subscriptions than one task's time limit allows."""

import pytest

from audit.models import AuditLog
from billing.models import Subscription
from billing.tasks import reconcile_subscriptions
from config.task_limits import TaskLimits
from tests.factories import UserFactory
from tests.helpers.clients import client_for
from tests.worker import celery_worker, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

TIME_LIMIT = 4
READERS = 7
STRIPE_READ_MS = 500  # seven reads take longer than the soft limit, three do not


def test_a_reconciliation_longer_than_the_time_limit_finishes_in_parts(
    plans, stripe, stripe_sdk, tmp_path
):
    limits = TaskLimits(time_limit=TIME_LIMIT)
    assert limits.soft_time_limit < READERS * STRIPE_READ_MS / 1000
    ids = []
    for n in range(READERS):
        reader = client_for(UserFactory(email=f"drift{n}@example.com"))
        body = reader.post("/api/billing/trial/", {"plan": "monthly"}, format="json").json()
        ids.append(body["id"])
        # drift that leaves every subscription live (so each is read on every run)
        stripe_sdk.v1.subscriptions.update(body["id"], params={"cancel_at_period_end": True})
    stripe.fault("delay", count=100, path="/v1/subscriptions/", delay_ms=STRIPE_READ_MS)

    log = tmp_path / "worker.log"
    with celery_worker(
        stripe_url=stripe.url,
        stripe_key=stripe.api_key,
        env={"CELERY_TASK_TIME_LIMIT": str(TIME_LIMIT)},
        output=log,
        pool="prefork",
    ):
        # as beat queues it, with the same settings as the worker
        reconcile_subscriptions.apply_async(
            time_limit=limits.time_limit, soft_time_limit=limits.soft_time_limit
        )
        assert wait_for(
            lambda: (
                set(Subscription.objects.values_list("cancel_at_period_end", flat=True)) == {True}
            ),
            timeout=30,
        ), log.read_text()

    assert "exceeded" not in log.read_text()  # no part ran into the time limit
    reconciled = AuditLog.objects.filter(action="subscription.reconciled")
    assert sorted(reconciled.values_list("stripe_object_id", flat=True)) == sorted(ids)
