"""Double clicks and races: concurrent requests make one subscription (live server, PostgreSQL)."""

import pytest
import requests
from rest_framework.authtoken.models import Token

from audit.models import AuditLog
from billing.models import StripeAttempt, Subscription, TrialClaim
from tests.helpers.clients import fire_together, subscription_creates

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_concurrent_trial_starts_make_exactly_one_subscription(
    plans, reader, stripe, stripe_sdk, live_server
):
    token = Token.objects.create(user=reader).key

    responses = fire_together(
        [{"plan": "monthly"}] * 20, f"{live_server.url}/api/billing/trial/", token
    )

    codes = [r.status_code for r in responses]
    assert set(codes) <= {201, 409}, [r.text for r in responses if r.status_code not in (201, 409)]
    assert 201 in codes
    assert Subscription.objects.filter(user=reader).count() == 1
    customer = reader.billing_customer.stripe_customer_id
    remote = stripe_sdk.v1.subscriptions.list(params={"customer": customer, "status": "all"})
    assert len(remote.data) == 1
    assert {r.json()["id"] for r in responses if r.status_code == 201} == {remote.data[0].id}
    # Every create that reached Stripe carried the one attempt's key: replays, not new objects.
    keys = {r["idempotency_key"] for r in subscription_creates(stripe)}
    assert keys == {StripeAttempt.objects.get(operation="subscription.create").idempotency_key}
    assert len(stripe_sdk.v1.customers.list(params={"email": reader.email}).data) == 1


def test_concurrent_different_requests_never_make_two_subscriptions(
    plans, reader, stripe, stripe_sdk, live_server
):
    token = Token.objects.create(user=reader).key
    bodies = [
        {"plan": "monthly"},
        {"plan": "yearly"},
        {"plan": "monthly", "payment_method": "pm_card_visa"},
        {"plan": "yearly", "payment_method": "pm_card_mastercard"},
    ]

    responses = fire_together(bodies, f"{live_server.url}/api/billing/trial/", token)

    assert [r.status_code for r in responses].count(201) == 1
    assert {r.status_code for r in responses} <= {201, 409}
    customer = reader.billing_customer.stripe_customer_id
    remote = stripe_sdk.v1.subscriptions.list(params={"customer": customer, "status": "all"})
    assert len(remote.data) == 1


def attaches(stripe):
    return [
        r
        for r in stripe.requests()
        if r["method"] == "POST"
        and r["path"].startswith("/v1/payment_methods/")
        and r["path"].endswith("/attach")
    ]


def test_twenty_concurrent_trial_starts_with_a_card_claim_once_and_attach_once(
    plans, reader, stripe, stripe_sdk, live_server
):
    token = Token.objects.create(user=reader).key

    responses = fire_together(
        [{"plan": "monthly", "payment_method": "pm_card_visa"}] * 20,
        f"{live_server.url}/api/billing/trial/",
        token,
    )

    assert 201 in [r.status_code for r in responses]
    assert AuditLog.objects.filter(action="trial.claimed").count() == 1
    assert TrialClaim.objects.count() == 1
    # Requests that shared the creation shared its card attachment: Stripe replayed.
    assert len({r["idempotency_key"] for r in attaches(stripe)}) == 1
    assert len([r for r in attaches(stripe) if not r.get("replayed")]) == 1
    customer = reader.billing_customer.stripe_customer_id
    cards = stripe_sdk.v1.payment_methods.list(params={"customer": customer, "type": "card"})
    assert len(cards.data) == 1
    assert stripe_sdk.v1.customers.retrieve(customer).invoice_settings.default_payment_method == (
        cards.data[0].id
    )


def test_a_double_click_on_cancel_writes_one_stripe_update_and_one_audit_entry(
    plans, reader, stripe, live_server
):
    token = Token.objects.create(user=reader).key
    trial = requests.post(
        f"{live_server.url}/api/billing/trial/",
        json={"plan": "monthly"},
        headers={"Authorization": f"Token {token}"},
        timeout=60,
    ).json()
    # Whichever request reaches Stripe first waits there, so the other one starts
    # while the first attempt is still pending: they share it, and its key.
    stripe.fault("delay", count=1, path=f"/v1/subscriptions/{trial['id']}", delay_ms=1500)

    responses = fire_together(
        [{"at_period_end": True, "reason": "other"}] * 2,
        f"{live_server.url}/api/billing/subscription/cancel/",
        token,
    )

    assert [r.status_code for r in responses] == [200, 200]
    updates = [
        r
        for r in stripe.requests()
        if r["method"] == "POST" and r["path"] == f"/v1/subscriptions/{trial['id']}"
    ]
    assert len(updates) == 2
    assert len({r["idempotency_key"] for r in updates}) == 1
    entries = AuditLog.objects.filter(action="subscription.cancel_requested")
    assert [(e.actor_type, e.actor_user) for e in entries] == [("reader", reader)]
