"""A pause as webhooks and mails see it: customer.subscription.updated brings the pause
(and its end) into our row, replays change nothing twice, "pause started" and "pause
ends soon" are each mailed once, and a double click makes one pause."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

import pytest
import requests
from django.core import mail
from rest_framework.authtoken.models import Token

from audit.models import AuditLog
from billing.models import Notification, StripeEvent, Subscription
from billing.services import pause_reminders_send
from tests.billing.webhooks import SECRET, deliver, event_body
from tests.helpers.billing import subscribe
from tests.stripe_time import SLACK, unix

pytestmark = pytest.mark.django_db

PAUSE = "/api/billing/subscription/pause/"


def fire_together(bodies, url, token):
    """POST the bodies at once, each from its own thread (a double click)."""
    barrier = Barrier(len(bodies))

    def post(body):
        barrier.wait()
        return requests.post(
            url, json=body, headers={"Authorization": f"Token {token}"}, timeout=60
        )

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(post, bodies))


def send(client, captured, obj, event_id=None):
    """Deliver a signed customer.subscription.updated and run its processing (eager)."""
    with captured(execute=True):
        response = deliver(
            client, event_body("customer.subscription.updated", obj, event_id=event_id)
        )
    assert response.status_code == 200
    return StripeEvent.objects.order_by("-received_at").first()


@pytest.fixture
def active(plans, reader_client):
    body = subscribe(reader_client)
    return Subscription.objects.get(stripe_subscription_id=body["id"])


def obj(subscription):
    return {
        "id": subscription.stripe_subscription_id,
        "customer": subscription.customer.stripe_customer_id,
    }


def test_pausing_mails_the_reader_once_with_the_resume_date(active, reader_client):
    body = reader_client.post(PAUSE, {"months": 2}, format="json").json()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    local = Subscription.objects.get(pk=active.pk)
    assert message.subject == "Your subscription is paused"
    assert message.to == ["reader@example.com"]
    assert f"{local.pause_resumes_at:%-d %B %Y}" in message.body
    assert f"{local.pause_resumes_at:%-d %B %Y}" in message.alternatives[0][0]
    assert body["pause_collection"]["resumes_at"].startswith(f"{local.pause_resumes_at:%Y-%m-%d}")


def test_a_pause_made_in_stripe_reaches_the_row_by_webhook_and_mails_once(
    client, django_capture_on_commit_callbacks, active, stripe, stripe_sdk
):
    resumes_at = stripe.clock() + 40 * 86400
    stripe_sdk.v1.subscriptions.update(
        active.stripe_subscription_id,
        params={"pause_collection": {"behavior": "void", "resumes_at": resumes_at}},
    )
    outbox = len(mail.outbox)

    first = send(client, django_capture_on_commit_callbacks, obj(active))
    replayed = send(client, django_capture_on_commit_callbacks, obj(active), event_id=first.id)
    again = send(client, django_capture_on_commit_callbacks, obj(active))

    assert first.status == again.status == "processed"
    assert replayed == first  # a replay of one event is stored once
    local = Subscription.objects.get(pk=active.pk)
    assert (local.pause_behavior, unix(local.pause_resumes_at)) == ("void", resumes_at)
    assert len(mail.outbox) == outbox + 1
    assert Notification.objects.filter(kind="pause_started").count() == 1
    # The change is audited once, in Stripe's name; the later event changed nothing.
    entries = AuditLog.objects.filter(action="stripe.customer.subscription.updated")
    assert [(e.actor_type, e.after["pause_behavior"]) for e in entries] == [("stripe", "void")]


def test_an_out_of_order_event_cannot_bring_back_an_ended_pause(
    client, django_capture_on_commit_callbacks, active, reader_client, stripe_sdk
):
    reader_client.post(PAUSE, {"months": 1}, format="json")
    reader_client.post("/api/billing/subscription/resume/")

    # A late delivery of the event the pause made: its copy says paused, Stripe does not.
    paused_copy = {**obj(active), "pause_collection": {"behavior": "void", "resumes_at": 1}}
    event = send(client, django_capture_on_commit_callbacks, paused_copy)

    assert event.status == "processed"
    local = Subscription.objects.get(pk=active.pk)
    assert (local.pause_behavior, local.pause_resumes_at) == ("", None)
    remote = stripe_sdk.v1.subscriptions.retrieve(active.stripe_subscription_id)
    assert remote.pause_collection is None


def test_the_reminder_goes_three_days_before_the_pause_ends_and_once(active, reader_client):
    reader_client.post(PAUSE, {"months": 1}, format="json")
    resumes_at = Subscription.objects.get(pk=active.pk).pause_resumes_at
    outbox = len(mail.outbox)

    assert pause_reminders_send(now=resumes_at - timedelta(days=3, minutes=1)) == 0
    assert pause_reminders_send(now=resumes_at - timedelta(days=3)) == 1
    assert pause_reminders_send(now=resumes_at - timedelta(days=2)) == 0
    assert pause_reminders_send(now=resumes_at + timedelta(seconds=1)) == 0

    assert len(mail.outbox) == outbox + 1
    message = mail.outbox[-1]
    assert message.subject == "Your pause ends soon"
    assert f"{resumes_at:%-d %B %Y}" in message.body
    assert "$9.99" in message.body


def test_no_reminder_for_a_pause_ended_early(active, reader_client):
    reader_client.post(PAUSE, {"months": 1}, format="json")
    resumes_at = Subscription.objects.get(pk=active.pk).pause_resumes_at
    reader_client.post("/api/billing/subscription/resume/")

    assert pause_reminders_send(now=resumes_at - timedelta(days=2)) == 0
    assert not Notification.objects.filter(kind="pause_ending").exists()


def test_the_reminder_is_a_periodic_job(periodic_tasks):
    from django_celery_beat.models import PeriodicTask

    from config.schedule import unregistered_tasks

    row = PeriodicTask.objects.get(task="billing.tasks.send_pause_reminders")
    assert row.enabled
    assert (row.interval.every, row.interval.period) == (1, "hours")
    assert unregistered_tasks() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_click_on_pause_makes_one_pause_one_entry_one_mail(
    plans, reader, stripe, live_server
):
    token = Token.objects.create(user=reader).key
    sub_id = requests.post(
        f"{live_server.url}/api/billing/subscribe/",
        json={"plan": "monthly", "payment_method": "pm_card_visa"},
        headers={"Authorization": f"Token {token}"},
        timeout=60,
    ).json()["id"]
    # The first request waits at Stripe, so the second starts while its attempt is pending.
    stripe.fault("delay", count=1, path=f"/v1/subscriptions/{sub_id}", delay_ms=1500)

    responses = fire_together([{"months": 2}] * 2, f"{live_server.url}{PAUSE}", token)

    assert sorted(r.status_code for r in responses) in ([200, 200], [200, 409])
    updates = [
        r
        for r in stripe.requests()
        if r["method"] == "POST" and r["path"] == f"/v1/subscriptions/{sub_id}"
    ]
    assert len({r["idempotency_key"] for r in updates}) == 1
    assert AuditLog.objects.filter(action="subscription.paused").count() == 1
    assert Notification.objects.filter(kind="pause_started").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_stripe_webhooks_bring_the_pause_and_its_automatic_end(
    plans, reader, reader_client, stripe, live_server
):
    stripe.register_webhook(f"{live_server.url}/api/billing/webhooks/stripe/", secret=SECRET)
    body = subscribe(reader_client)
    paused = reader_client.post(PAUSE, {"months": 1}, format="json").json()
    stripe.flush(retries=True)
    local = Subscription.objects.get(stripe_subscription_id=body["id"])
    assert local.pause_behavior == "void"

    stripe.advance(to=unix(paused["pause_collection"]["resumes_at"]) + SLACK)
    stripe.flush(retries=True)

    local = Subscription.objects.get(stripe_subscription_id=body["id"])
    assert (local.pause_behavior, local.pause_resumes_at) == ("", None)
    assert local.status == "active"
    assert Notification.objects.filter(kind="pause_started").count() == 1


def test_a_mail_server_down_does_not_undo_the_pause_and_the_webhook_mails_later(
    client, django_capture_on_commit_callbacks, active, reader_client, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2

    response = reader_client.post(PAUSE, {"months": 1}, format="json")

    assert response.status_code == 200
    assert Subscription.objects.get(pk=active.pk).pause_behavior == "void"
    assert not Notification.objects.filter(kind="pause_started").exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    send(client, django_capture_on_commit_callbacks, obj(active))

    assert [m.subject for m in mail.outbox] == ["Your subscription is paused"]
    assert Notification.objects.filter(kind="pause_started").count() == 1
