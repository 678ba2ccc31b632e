"""Retention: processed Stripe events and finished attempts go after their days, a bounded
batch a run; events still to process, pending attempts and audit entries stay, and the
reader page still shows what happened."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditLog
from billing.models import StripeAttempt, StripeEvent, Subscription
from billing.services.retention import stripe_attempts_prune, stripe_events_prune
from billing.tasks import prune_stripe_records
from tests.billing.webhooks import deliver, event_body
from tests.factories import UserFactory
from tests.helpers.admin_pages import reader_page

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

DAY = timedelta(days=1)


def stored_event(status: str, *, n: int = 0) -> StripeEvent:
    return StripeEvent.objects.create(
        id=f"evt_{status}_{n}", type="customer.updated", payload={}, status=status
    )


def attempt(status: str, *, n: int = 0) -> StripeAttempt:
    return StripeAttempt.objects.create(
        operation="customer.update", idempotency_key=f"key-{status}-{n}", status=status
    )


def test_events_are_pruned_after_their_days_only_once_processed_or_ignored(settings):
    settings.STRIPE_EVENT_RETENTION_DAYS = 90
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        statuses = ["received", "processing", "processed", "failed", "ignored"]
        for status in statuses:
            stored_event(status)
    with time_machine.travel(start + 89 * DAY, tick=False):
        stored_event("processed", n=1)  # younger than 90 days at the end
        assert stripe_events_prune() == 0

    with time_machine.travel(start + 90 * DAY + timedelta(seconds=1), tick=False):
        assert stripe_events_prune() == 2

    assert sorted(StripeEvent.objects.values_list("id", flat=True)) == [
        "evt_failed_0",
        "evt_processed_1",
        "evt_processing_0",
        "evt_received_0",
    ]


def test_attempts_are_pruned_after_their_days_only_once_finished(settings):
    settings.STRIPE_ATTEMPT_RETENTION_DAYS = 30
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for status in ("pending", "succeeded", "failed"):
            attempt(status)
    with time_machine.travel(start + 29 * DAY, tick=False):
        assert stripe_attempts_prune() == 0
        attempt("succeeded", n=1)

    with time_machine.travel(start + 31 * DAY, tick=False):
        assert stripe_attempts_prune() == 2

    assert sorted(StripeAttempt.objects.values_list("idempotency_key", flat=True)) == [
        "key-pending-0",
        "key-succeeded-1",
    ]


def test_a_run_deletes_at_most_its_bound_and_the_next_run_continues(settings):
    settings.RETENTION_ROWS_PER_RUN = 4
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for n in range(6):
            stored_event("processed", n=n)
            attempt("succeeded", n=n)

    with time_machine.travel(start + 100 * DAY, tick=False):
        assert prune_stripe_records() == {"events": 4, "attempts": 4}
        assert prune_stripe_records() == {"events": 2, "attempts": 2}
        assert prune_stripe_records() == {"events": 0, "attempts": 0}


def test_the_pruning_runs_hourly(periodic_tasks):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="billing.tasks.prune_stripe_records")
    assert (task.interval.every, task.interval.period) == (1, "hours")


@pytest.mark.usefixtures("roles")
def test_the_reader_page_still_shows_what_a_pruned_event_did(
    client, plans, reader, reader_client, stripe_sdk, django_capture_on_commit_callbacks
):
    body = reader_client.post("/api/billing/trial/", {"plan": "monthly"}, format="json").json()
    trial = Subscription.objects.get(stripe_subscription_id=body["id"])
    stripe_sdk.v1.subscriptions.update(body["id"], params={"cancel_at_period_end": True})
    webhook = event_body(
        "customer.subscription.updated",
        {"id": trial.stripe_subscription_id, "customer": trial.customer.stripe_customer_id},
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(APIClient(), webhook).status_code == 200
    event = StripeEvent.objects.get(id=json.loads(webhook)["id"])
    assert event.status == "processed"
    staff = UserFactory(is_staff=True)
    staff.groups.set(Group.objects.filter(name="support"))
    client.force_login(staff)

    with time_machine.travel(timezone.now() + 91 * DAY, tick=False):
        assert prune_stripe_records()["events"] >= 1
    assert not StripeEvent.objects.filter(id=event.id).exists()

    effect = AuditLog.objects.get(action="stripe.customer.subscription.updated")
    assert effect.reason == f"webhook {event.id}"  # the audit entry stays
    rows = reader_page(client, reader).timeline
    [row] = [r for r in rows if r["what"].startswith("stripe.customer.subscription.updated")]
    assert row["detail"] == f"webhook {event.id}"
    assert row["who"].startswith("Stripe")
    assert [r for r in rows if r["what"].startswith("trial.claimed ")]
