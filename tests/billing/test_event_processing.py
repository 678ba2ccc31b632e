"""Processing Stripe events: re-read from Stripe, apply, notify once, audit as Stripe."""

import json
import logging
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from audit.models import AuditLog
from billing.models import Customer, StripeEvent, Subscription
from billing.services import stripe_event_process, stripe_events_requeue, subscriptions_reconcile
from tests.billing.webhooks import deliver, event_body

pytestmark = pytest.mark.django_db


def send(client, captured, event_type, obj, event_id=None):
    """Deliver a signed event and run the processing it queued (Celery eager)."""
    with captured(execute=True):
        response = deliver(client, event_body(event_type, obj, event_id=event_id))
    assert response.status_code == 200
    return StripeEvent.objects.get(id=_last_id())


def _last_id():
    return StripeEvent.objects.order_by("-received_at").values_list("id", flat=True).first()


@pytest.fixture
def trial(plans, reader_client):
    body = reader_client.post(
        "/api/billing/trial/", {"plan": "monthly", "payment_method": "pm_card_visa"}, format="json"
    ).json()
    return Subscription.objects.get(stripe_subscription_id=body["id"])


def test_an_event_updates_the_subscription_from_stripe_and_is_audited_as_stripe(
    client, django_capture_on_commit_callbacks, trial, stripe_sdk
):
    stripe_sdk.v1.subscriptions.update(
        trial.stripe_subscription_id, params={"cancel_at_period_end": True}
    )

    event = send(
        client,
        django_capture_on_commit_callbacks,
        "customer.subscription.updated",
        {"id": trial.stripe_subscription_id, "customer": trial.customer.stripe_customer_id},
    )

    assert event.status == "processed"
    assert event.attempts == 1
    assert event.reader == trial.user
    trial.refresh_from_db()
    assert trial.cancel_at_period_end is True
    entry = AuditLog.objects.get(action="stripe.customer.subscription.updated")
    assert entry.actor_type == "stripe"
    assert entry.after["cancel_at_period_end"] is True


def test_a_late_event_never_overwrites_newer_state(
    client, django_capture_on_commit_callbacks, trial, reader_client
):
    reader_client.post(
        "/api/billing/subscription/cancel/",
        {"at_period_end": False, "reason": "other"},
        format="json",
    )
    # An old event arrives late, its copy of the object still trialing.
    stale_copy = {
        "id": trial.stripe_subscription_id,
        "customer": trial.customer.stripe_customer_id,
        "status": "trialing",
        "cancel_at_period_end": False,
    }

    send(client, django_capture_on_commit_callbacks, "customer.subscription.updated", stale_copy)

    trial.refresh_from_db()
    assert trial.status == "canceled"


def test_an_unknown_event_type_is_stored_as_ignored(
    client, django_capture_on_commit_callbacks, stripe
):
    event = send(
        client, django_capture_on_commit_callbacks, "charge.refund.updated", {"id": "re_1"}
    )

    assert event.status == "ignored"
    assert stripe.requests() == []


def test_an_event_about_someone_elses_customer_is_ignored(
    client, django_capture_on_commit_callbacks, plans
):
    event = send(
        client,
        django_capture_on_commit_callbacks,
        "customer.subscription.updated",
        {"id": "sub_foreign", "customer": "cus_foreign"},
    )

    assert event.status == "ignored"
    assert "not one of ours" in event.last_error


def test_processing_twice_does_nothing_the_second_time(
    client, django_capture_on_commit_callbacks, trial, stripe
):
    event = send(
        client,
        django_capture_on_commit_callbacks,
        "customer.subscription.updated",
        {"id": trial.stripe_subscription_id, "customer": trial.customer.stripe_customer_id},
    )
    calls = len(stripe.requests())

    assert stripe_event_process(event_id=event.id) == "processed"
    assert len(stripe.requests()) == calls
    assert StripeEvent.objects.get(id=event.id).attempts == 1


def test_stripe_down_during_processing_is_retried(
    client, django_capture_on_commit_callbacks, trial, stripe
):
    stripe.fault("500", count=1, path=f"/v1/subscriptions/{trial.stripe_subscription_id}")

    event = send(
        client,
        django_capture_on_commit_callbacks,
        "customer.subscription.updated",
        {"id": trial.stripe_subscription_id, "customer": trial.customer.stripe_customer_id},
    )

    assert event.status == "processed"
    assert event.attempts == 2


def test_stripe_down_past_the_cap_leaves_the_event_failed_with_an_error_log(
    client, django_capture_on_commit_callbacks, trial, stripe, settings, caplog
):
    settings.STRIPE_EVENT_MAX_ATTEMPTS = 3
    stripe.fault("500", count=10, path=f"/v1/subscriptions/{trial.stripe_subscription_id}")

    with caplog.at_level(logging.ERROR):
        event = send(
            client,
            django_capture_on_commit_callbacks,
            "customer.subscription.updated",
            {"id": trial.stripe_subscription_id, "customer": trial.customer.stripe_customer_id},
        )

    assert event.status == "failed"
    assert event.attempts == 3
    assert "StripeUnavailable" in event.last_error
    assert any(event.id in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)


def test_trial_will_end_sends_one_reminder_with_the_date_and_the_amount(
    client, django_capture_on_commit_callbacks, trial
):
    obj = {"id": trial.stripe_subscription_id, "customer": trial.customer.stripe_customer_id}

    first = send(
        client, django_capture_on_commit_callbacks, "customer.subscription.trial_will_end", obj
    )
    send(client, django_capture_on_commit_callbacks, "customer.subscription.trial_will_end", obj)

    assert first.status == "processed"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["reader@example.com"]
    assert f"{trial.trial_end:%-d %B %Y}" in message.body
    assert "$9.99" in message.body
    html = message.alternatives[0][0]
    assert "$9.99" in html


def test_a_reader_who_cancelled_gets_no_reminder(
    client, django_capture_on_commit_callbacks, trial, reader_client
):
    reader_client.post(
        "/api/billing/subscription/cancel/",
        {"at_period_end": True, "reason": "other"},
        format="json",
    )

    send(
        client,
        django_capture_on_commit_callbacks,
        "customer.subscription.trial_will_end",
        {"id": trial.stripe_subscription_id, "customer": trial.customer.stripe_customer_id},
    )

    assert mail.outbox == []


def test_invoice_paid_sends_one_receipt(
    client, django_capture_on_commit_callbacks, plans, reader, reader_client
):
    reader_client.post(
        "/api/billing/subscribe/",
        {"plan": "monthly", "payment_method": "pm_card_visa"},
        format="json",
    )
    invoice_id = Subscription.objects.get(user=reader).latest_invoice_id

    send(client, django_capture_on_commit_callbacks, "invoice.paid", {"id": invoice_id})
    send(client, django_capture_on_commit_callbacks, "invoice.paid", {"id": invoice_id})

    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Your payment receipt"
    assert "$9.99" in mail.outbox[0].body


def test_a_payment_that_needs_authentication_mails_the_link(
    client, django_capture_on_commit_callbacks, plans, reader, reader_client
):
    reader_client.post(
        "/api/billing/subscribe/",
        {"plan": "monthly", "payment_method": "pm_card_authenticationRequired"},
        format="json",
    )
    invoice_id = Subscription.objects.get(user=reader).latest_invoice_id

    send(
        client,
        django_capture_on_commit_callbacks,
        "invoice.payment_action_required",
        {"id": invoice_id},
    )

    assert len(mail.outbox) == 1
    assert "confirm" in mail.outbox[0].body.lower()
    assert "https://" in mail.outbox[0].body


def test_a_failed_payment_mails_the_update_card_link(
    client, django_capture_on_commit_callbacks, plans, reader, stripe_sdk, settings
):
    from billing.services import customer_ensure

    customer = customer_ensure(user=reader)
    stripe_sdk.v1.payment_methods.attach(
        "pm_card_chargeCustomerFail", params={"customer": customer.stripe_customer_id}
    )
    remote = stripe_sdk.v1.subscriptions.create(
        params={
            "customer": customer.stripe_customer_id,
            "items": [{"price": plans["monthly"].stripe_price_id}],
            "default_payment_method": "pm_card_chargeCustomerFail",
            "payment_behavior": "allow_incomplete",
        }
    )

    send(
        client,
        django_capture_on_commit_callbacks,
        "invoice.payment_failed",
        {"id": remote.latest_invoice},
    )

    assert len(mail.outbox) == 1
    assert settings.BILLING_UPDATE_CARD_URL in mail.outbox[0].body
    assert Subscription.objects.get(user=reader).status == "incomplete"


def test_customer_deleted_marks_the_customer_and_audits_it(
    client, django_capture_on_commit_callbacks, trial
):
    send(
        client,
        django_capture_on_commit_callbacks,
        "customer.deleted",
        {"id": trial.customer.stripe_customer_id},
    )

    assert Customer.objects.get(pk=trial.customer.pk).deleted_at is not None
    assert AuditLog.objects.filter(action="stripe.customer.deleted", actor_type="stripe").exists()


def test_requeue_picks_lost_failed_and_stuck_events(django_capture_on_commit_callbacks, settings):
    now = timezone.now()
    make = StripeEvent.objects.create
    make(id="evt_lost", type="x", payload={})
    make(id="evt_fresh", type="x", payload={})
    make(id="evt_failed", type="x", payload={}, status="failed", attempts=1)
    make(
        id="evt_gave_up",
        type="x",
        payload={},
        status="failed",
        attempts=settings.STRIPE_EVENT_MAX_ATTEMPTS,
    )
    make(
        id="evt_stuck",
        type="x",
        payload={},
        status="processing",
        processing_started_at=now - timedelta(hours=1),
    )
    make(id="evt_busy", type="x", payload={}, status="processing", processing_started_at=now)
    make(id="evt_done", type="x", payload={}, status="processed")
    StripeEvent.objects.filter(id="evt_lost").update(received_at=now - timedelta(minutes=5))

    with django_capture_on_commit_callbacks() as callbacks:
        requeued = stripe_events_requeue()

    assert sorted(requeued) == ["evt_failed", "evt_lost", "evt_stuck"]
    assert len(callbacks) == 3


def test_a_claim_is_stuck_once_older_than_the_time_limit_allows(
    django_capture_on_commit_callbacks, settings
):
    # a live worker's task is killed at the time limit, so an older claim is a dead worker's
    assert settings.STRIPE_EVENT_STUCK_SECONDS > settings.CELERY_TASK_TIME_LIMIT
    now = timezone.now()
    stuck_age = timedelta(seconds=settings.STRIPE_EVENT_STUCK_SECONDS)
    make = StripeEvent.objects.create
    make(
        id="evt_dead",
        type="x",
        payload={},
        status="processing",
        processing_started_at=now - stuck_age - timedelta(seconds=5),
    )
    make(
        id="evt_alive",
        type="x",
        payload={},
        status="processing",
        processing_started_at=now - stuck_age + timedelta(seconds=5),
    )

    with django_capture_on_commit_callbacks():
        requeued = stripe_events_requeue()

    assert requeued == ["evt_dead"]


def test_failed_events_are_retried_every_five_minutes_though_the_job_runs_every_minute(
    django_capture_on_commit_callbacks,
):
    now = timezone.now()
    make = StripeEvent.objects.create
    make(
        id="evt_just_failed",
        type="x",
        payload={},
        status="failed",
        attempts=1,
        processing_started_at=now - timedelta(minutes=4),
    )
    make(
        id="evt_failed_a_while_ago",
        type="x",
        payload={},
        status="failed",
        attempts=1,
        processing_started_at=now - timedelta(minutes=6),
    )

    with django_capture_on_commit_callbacks():
        requeued = stripe_events_requeue()

    assert requeued == ["evt_failed_a_while_ago"]


def test_a_dead_workers_claim_is_taken_over_and_a_live_ones_is_left(
    client, trial, settings, stripe
):
    from billing.services.webhooks import stripe_event_record

    obj = {"id": trial.stripe_subscription_id, "customer": trial.customer.stripe_customer_id}
    stuck_age = timedelta(seconds=settings.STRIPE_EVENT_STUCK_SECONDS)
    for event_id, age in (
        ("evt_live", stuck_age - timedelta(seconds=5)),
        ("evt_dead", stuck_age + timedelta(seconds=5)),
    ):
        body = json.loads(event_body("customer.subscription.updated", obj, event_id=event_id))
        stripe_event_record(event=body)
        StripeEvent.objects.filter(id=event_id).update(
            status="processing", attempts=1, processing_started_at=timezone.now() - age
        )
    calls = len(stripe.requests())

    assert stripe_event_process(event_id="evt_live") == "processing"
    assert len(stripe.requests()) == calls  # left alone: not even read from Stripe
    assert StripeEvent.objects.get(id="evt_live").attempts == 1
    assert stripe_event_process(event_id="evt_dead") == "processed"
    assert StripeEvent.objects.get(id="evt_dead").attempts == 2


def test_reconciliation_fixes_drift_and_reports_what_changed(plans, reader_client, stripe_sdk):
    first = reader_client.post("/api/billing/trial/", {"plan": "monthly"}, format="json").json()
    # A change made in Stripe whose webhook never arrived:
    stripe_sdk.v1.subscriptions.cancel(first["id"])

    changed = subscriptions_reconcile(batch_size=1)

    assert changed == [first["id"]]
    assert Subscription.objects.get(stripe_subscription_id=first["id"]).status == "canceled"
    assert AuditLog.objects.filter(action="subscription.reconciled", actor_type="system").exists()
    assert subscriptions_reconcile() == []


def test_reconciliation_in_parts_stops_on_time_and_resumes_where_it_stopped(plans, stripe_sdk):
    from billing.services import subscriptions_reconcile_part
    from tests.factories import UserFactory
    from tests.helpers.clients import client_for

    ids = []
    for n in range(3):
        reader = client_for(UserFactory(email=f"part{n}@example.com"))
        ids.append(
            reader.post("/api/billing/trial/", {"plan": "monthly"}, format="json").json()["id"]
        )
        stripe_sdk.v1.subscriptions.cancel(ids[-1])

    parts = []
    resume_after = 0
    while resume_after is not None:
        changed, resume_after = subscriptions_reconcile_part(after_pk=resume_after, seconds=0)
        parts.append(changed)

    # out of time after each subscription: one per part, none skipped, none twice
    assert parts == [[ids[0]], [ids[1]], [ids[2]], []]
    assert set(Subscription.objects.values_list("status", flat=True)) == {"canceled"}


def test_the_periodic_jobs_are_scheduled_in_the_database(periodic_tasks):
    from django_celery_beat.models import PeriodicTask

    tasks = dict(PeriodicTask.objects.values_list("task", "enabled"))
    assert tasks["billing.tasks.reconcile_subscriptions"] is True
    assert tasks["billing.tasks.requeue_stripe_events"] is True


def test_the_requeue_job_runs_as_often_as_the_recovery_bound_assumes(periodic_tasks):
    from django_celery_beat.models import PeriodicTask

    from config.task_limits import REQUEUE_INTERVAL_SECONDS

    requeue = PeriodicTask.objects.get(task="billing.tasks.requeue_stripe_events")
    assert (requeue.interval.every, requeue.interval.period) == (1, "minutes")
    assert REQUEUE_INTERVAL_SECONDS == 60
