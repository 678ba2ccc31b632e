"""A double submit while Stripe is slow for one request and failing for another: one charge.

Request A is slow at Stripe (a delay on POST /v1/subscriptions); meanwhile
request B, the same body, meets a 429 while attaching the card and answers
503; C, the reader's retry, answers 201; then A finishes. Stripe must hold one
subscription and one paid invoice, and we one row (live server, real threads,
PostgreSQL, the emulator's faults).
"""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.conf import settings
from rest_framework.authtoken.models import Token

from billing.models import StripeAttempt, Subscription

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# Long enough for B and C to run their whole course while A waits at Stripe.
SLOW_MS = 8000


def post(url, body, token):
    return requests.post(url, json=body, headers={"Authorization": f"Token {token}"}, timeout=60)


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def slow_a_failing_b_retrying_c(stripe, url, body, token):
    """Run the sequence of the issue; returns the three responses (A, B, C)."""
    stripe.fault("delay", path="/v1/subscriptions", delay_ms=SLOW_MS)
    with ThreadPoolExecutor(max_workers=1) as pool:
        a = pool.submit(post, url, body, token)
        # The delay fault is taken when A's creation reaches Stripe: A is now waiting there.
        wait_until(lambda: not stripe.control("GET", "/_emulator/faults")["faults"])
        # The SDK retries a 429 by itself: enough faults that B meets one to the end.
        stripe.fault(
            "429", count=settings.STRIPE_MAX_NETWORK_RETRIES + 1, path="/v1/payment_methods"
        )
        b = post(url, body, token)
        assert not stripe.control("GET", "/_emulator/faults")["faults"], "B met every 429"
        c = post(url, body, token)
        assert not a.done(), "C must finish while A is still waiting at Stripe"
        return a.result(), b, c


def assert_one_charge(stripe_sdk, reader, responses):
    a, b, c = responses
    assert b.status_code == 503, b.text
    assert b.json()["code"] == "stripe_unavailable"
    assert c.status_code == 201, c.text
    customer = reader.billing_customer.stripe_customer_id
    remote = stripe_sdk.v1.subscriptions.list(params={"customer": customer, "status": "all"})
    assert [s.id for s in remote.data] == [c.json()["id"]]
    paid = stripe_sdk.v1.invoices.list(params={"customer": customer, "status": "paid"})
    assert len(paid.data) == 1
    assert list(Subscription.objects.filter(user=reader).values_list("stripe_subscription_id")) == [
        (c.json()["id"],)
    ]
    assert a.status_code == 201, a.text
    assert a.json()["id"] == c.json()["id"]


def test_a_failed_double_submit_and_a_retry_while_stripe_is_slow_charge_once(
    plans, reader, stripe, stripe_sdk, live_server
):
    token = Token.objects.create(user=reader).key
    body = {"plan": "monthly", "payment_method": "pm_card_visa"}

    responses = slow_a_failing_b_retrying_c(
        stripe, f"{live_server.url}/api/billing/subscribe/", body, token
    )

    assert_one_charge(stripe_sdk, reader, responses)


def test_a_failed_double_trial_start_and_a_retry_while_stripe_is_slow_make_one_trial(
    plans, reader, stripe, stripe_sdk, live_server
):
    token = Token.objects.create(user=reader).key
    body = {"plan": "monthly", "payment_method": "pm_card_visa"}

    responses = slow_a_failing_b_retrying_c(
        stripe, f"{live_server.url}/api/billing/trial/", body, token
    )

    assert_one_charge(stripe_sdk, reader, responses)


def test_another_card_while_the_first_creation_is_at_stripe_is_refused(
    plans, reader, stripe, stripe_sdk, live_server
):
    token = Token.objects.create(user=reader).key
    url = f"{live_server.url}/api/billing/subscribe/"
    body = {"plan": "monthly", "payment_method": "pm_card_visa"}
    stripe.fault("delay", path="/v1/subscriptions", delay_ms=SLOW_MS)
    with ThreadPoolExecutor(max_workers=1) as pool:
        a = pool.submit(post, url, body, token)
        wait_until(lambda: not stripe.control("GET", "/_emulator/faults")["faults"])
        stripe.fault(
            "429", count=settings.STRIPE_MAX_NETWORK_RETRIES + 1, path="/v1/payment_methods"
        )
        assert post(url, body, token).status_code == 503

        other = post(url, {"plan": "monthly", "payment_method": "pm_card_mastercard"}, token)

        assert not a.done()
        assert other.status_code == 409, other.text
        assert other.json()["code"] == "operation_in_progress"
        assert a.result().status_code == 201
    customer = reader.billing_customer.stripe_customer_id
    remote = stripe_sdk.v1.subscriptions.list(params={"customer": customer, "status": "all"})
    assert [s.id for s in remote.data] == [a.result().json()["id"]]


def test_a_request_that_stripe_turned_away_leaves_the_attempt_to_its_retry(
    plans, reader, stripe, live_server
):
    token = Token.objects.create(user=reader).key
    url = f"{live_server.url}/api/billing/subscribe/"
    body = {"plan": "monthly", "payment_method": "pm_card_visa"}
    stripe.fault("429", count=settings.STRIPE_MAX_NETWORK_RETRIES + 1, path="/v1/payment_methods")
    assert post(url, body, token).status_code == 503

    assert post(url, body, token).status_code == 201

    attempt = StripeAttempt.objects.get(operation="subscription.create")
    creates = [
        r["idempotency_key"]
        for r in stripe.requests()
        if r["method"] == "POST" and r["path"] == "/v1/subscriptions"
    ]
    assert creates == [attempt.idempotency_key]
    assert attempt.status == "succeeded"
    assert attempt.holders == 0  # every request counted itself out
