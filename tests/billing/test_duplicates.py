"""A second live subscription for one reader in Stripe: the newer is cancelled and refunded.

The defence behind the API (which never makes one): webhook processing and
the reconciliation each find it, cancel it at once with a full refund of what
it charged, audit it and tell support, once whoever finds it and however often.
"""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection

from audit.models import AuditLog
from billing.models import StripeEvent, Subscription
from billing.services import stripe_event_process, subscriptions_reconcile
from billing.services.webhooks import stripe_event_record
from tests.billing.webhooks import deliver, event_body
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def support_staff(db):
    staff = UserFactory(email="support@example.com", is_staff=True)
    staff.groups.add(Group.objects.get_or_create(name="support")[0])
    return staff


@pytest.fixture
def doubled(plans, reader, reader_client, stripe, stripe_sdk):
    """The reader's subscription made through the API, and a second one made in Stripe later."""
    first = reader_client.post(
        "/api/billing/subscribe/",
        {"plan": "monthly", "payment_method": "pm_card_visa"},
        format="json",
    )
    assert first.status_code == 201, first.text
    stripe.advance(60)  # the second is plainly the newer one
    customer = reader.billing_customer.stripe_customer_id
    second = stripe_sdk.v1.subscriptions.create(
        params={
            "customer": customer,
            "items": [{"price": plans["monthly"].stripe_price_id}],
            "payment_behavior": "allow_incomplete",
        }
    )
    assert second.status == "active"
    mail.outbox.clear()
    return first.json()["id"], second.id


def duplicate_refunds(stripe_sdk, duplicate_id):
    return [
        r
        for r in stripe_sdk.v1.refunds.list(params={"limit": 100}).data
        if r.metadata.to_dict().get("duplicate_subscription") == duplicate_id
    ]


def assert_settled_once(stripe_sdk, reader, kept_id, duplicate_id):
    """In Stripe: the newer cancelled, its one payment refunded in full, the first untouched.
    Here: the first is the reader's live row, one audit entry, one mail to support."""
    assert stripe_sdk.v1.subscriptions.retrieve(duplicate_id).status == "canceled"
    assert stripe_sdk.v1.subscriptions.retrieve(kept_id).status == "active"
    paid = stripe_sdk.v1.invoices.list(params={"subscription": duplicate_id, "status": "paid"}).data
    assert len(paid) == 1
    refunds = duplicate_refunds(stripe_sdk, duplicate_id)
    assert [(r.amount, r.reason, r.status) for r in refunds] == [
        (paid[0].amount_paid, "duplicate", "succeeded")
    ]
    assert len(stripe_sdk.v1.refunds.list(params={"limit": 100}).data) == 1  # nothing else
    live = Subscription.objects.get(user=reader, status__in=("active", "trialing"))
    assert live.stripe_subscription_id == kept_id
    entries = AuditLog.objects.filter(action="subscription.duplicate_refunded")
    assert [(e.stripe_object_id, e.reader_id, e.after["kept"]) for e in entries] == [
        (duplicate_id, reader.pk, kept_id)
    ]
    assert entries[0].after["refunds"][0]["refund"] == refunds[0].id
    told = [m for m in mail.outbox if "support@example.com" in m.to]
    assert len(told) == 1
    assert duplicate_id in told[0].body
    assert kept_id in told[0].body
    assert reader.email in told[0].subject


def send_created(client, captured, reader, subscription_id):
    body = event_body(
        "customer.subscription.created",
        {"id": subscription_id, "customer": reader.billing_customer.stripe_customer_id},
    )
    with captured(execute=True):
        assert deliver(client, body).status_code == 200
    return StripeEvent.objects.order_by("-received_at").first()


def test_a_webhook_for_a_second_live_subscription_cancels_and_refunds_it(
    client, django_capture_on_commit_callbacks, doubled, reader, stripe_sdk, support_staff
):
    kept_id, duplicate_id = doubled

    event = send_created(client, django_capture_on_commit_callbacks, reader, duplicate_id)

    assert event.status == "processed", event.last_error
    assert_settled_once(stripe_sdk, reader, kept_id, duplicate_id)
    # The reconciliation that runs next finds nothing more to do.
    subscriptions_reconcile()
    assert_settled_once(stripe_sdk, reader, kept_id, duplicate_id)


def test_the_reconciliation_finds_a_second_live_subscription_only_stripe_knows(
    client, django_capture_on_commit_callbacks, doubled, reader, stripe_sdk, support_staff
):
    kept_id, duplicate_id = doubled
    assert not Subscription.objects.filter(stripe_subscription_id=duplicate_id).exists()

    changed = subscriptions_reconcile()

    assert duplicate_id in changed
    assert_settled_once(stripe_sdk, reader, kept_id, duplicate_id)
    # Its webhook arriving afterwards, and the next reconciliation, change nothing.
    event = send_created(client, django_capture_on_commit_callbacks, reader, duplicate_id)
    assert event.status == "processed", event.last_error
    assert subscriptions_reconcile() == []
    assert_settled_once(stripe_sdk, reader, kept_id, duplicate_id)


def test_a_second_trial_made_in_stripe_is_cancelled_with_nothing_to_refund(
    plans, reader, reader_client, stripe, stripe_sdk, support_staff
):
    first = reader_client.post("/api/billing/trial/", {"plan": "monthly"}, format="json").json()
    stripe.advance(60)
    second = stripe_sdk.v1.subscriptions.create(
        params={
            "customer": reader.billing_customer.stripe_customer_id,
            "items": [{"price": plans["monthly"].stripe_price_id}],
            "trial_period_days": 30,
        }
    )

    subscriptions_reconcile()

    assert stripe_sdk.v1.subscriptions.retrieve(second.id).status == "canceled"
    assert stripe_sdk.v1.subscriptions.retrieve(first["id"]).status == "trialing"
    assert stripe_sdk.v1.refunds.list().data == []
    entry = AuditLog.objects.get(action="subscription.duplicate_refunded")
    assert entry.after["refunds"] == []
    assert len([m for m in mail.outbox if "support@example.com" in m.to]) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_webhook_and_the_reconciliation_running_at_once_settle_it_once(
    doubled, reader, stripe_sdk, support_staff
):
    kept_id, duplicate_id = doubled
    event_id = "evt_duplicate_created"
    stripe_event_record(
        event={
            "id": event_id,
            "type": "customer.subscription.created",
            "created": 1,
            "data": {
                "object": {
                    "id": duplicate_id,
                    "customer": reader.billing_customer.stripe_customer_id,
                }
            },
        }
    )
    barrier = Barrier(2)

    def run(job):
        barrier.wait()
        try:
            return job()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        processed = pool.submit(run, lambda: stripe_event_process(event_id=event_id))
        reconciled = pool.submit(run, subscriptions_reconcile)
        assert processed.result() == "processed"
        reconciled.result()

    assert_settled_once(stripe_sdk, reader, kept_id, duplicate_id)


def test_a_start_that_asks_stripe_after_a_lost_answer_settles_a_duplicate_it_finds(
    plans, reader, reader_client, stripe, stripe_sdk, support_staff
):
    from datetime import timedelta

    from billing.models import StripeAttempt

    stripe.fault("drop_after", path="/v1/subscriptions")
    lost = reader_client.post(
        "/api/billing/subscribe/",
        {"plan": "monthly", "payment_method": "pm_card_visa"},
        format="json",
    )
    assert lost.status_code == 503
    (made,) = stripe_sdk.v1.subscriptions.list(
        params={"customer": reader.billing_customer.stripe_customer_id}
    ).data
    stripe.advance(60)
    second = stripe_sdk.v1.subscriptions.create(
        params={
            "customer": reader.billing_customer.stripe_customer_id,
            "items": [{"price": plans["monthly"].stripe_price_id}],
            "payment_behavior": "allow_incomplete",
        }
    )
    # The lost request's hold has lapsed: another card makes us ask Stripe.
    attempt = StripeAttempt.objects.get(operation="subscription.create")
    StripeAttempt.objects.filter(pk=attempt.pk).update(
        held_until=attempt.held_until - timedelta(minutes=5)
    )

    response = reader_client.post(
        "/api/billing/subscribe/",
        {"plan": "monthly", "payment_method": "pm_card_mastercard"},
        format="json",
    )

    assert response.status_code == 409, response.text
    assert response.json()["code"] == "subscription_exists"
    assert_settled_once(stripe_sdk, reader, made.id, second.id)


def test_the_reader_gets_no_receipt_for_a_duplicate_they_were_refunded(
    client, django_capture_on_commit_callbacks, doubled, reader, stripe_sdk, support_staff
):
    kept_id, duplicate_id = doubled
    invoice = stripe_sdk.v1.subscriptions.retrieve(duplicate_id).latest_invoice
    body = event_body(
        "invoice.paid", {"id": invoice, "customer": reader.billing_customer.stripe_customer_id}
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, body).status_code == 200

    assert StripeEvent.objects.get(type="invoice.paid").status == "processed"
    assert_settled_once(stripe_sdk, reader, kept_id, duplicate_id)
    assert [m.subject for m in mail.outbox if reader.email in m.to] == []
