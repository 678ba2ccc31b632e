"""Stripe busy: a write's key still in flight (409) and object lock timeouts (429).

Double clicks share one creation attempt and so its idempotency key; at Stripe
the second request meets the first one still executing and gets 409
idempotency_key_in_use (https://docs.stripe.com/api/idempotent_requests); a
write meeting another one on the same customer waits, then gets 429
lock_timeout (https://docs.stripe.com/rate-limits#object-lock-timeouts). In
both, nothing of that request ran: one subscription, and no hold kept as if
the outcome were unknown.
"""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from rest_framework.authtoken.models import Token

from billing.models import StripeAttempt, Subscription
from tests.helpers.clients import fire_together, subscription_creates

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TRIAL = "/api/billing/trial/"


def remote_subscriptions(stripe_sdk, reader):
    customer = reader.billing_customer.stripe_customer_id
    return stripe_sdk.v1.subscriptions.list(params={"customer": customer, "status": "all"}).data


# https://docs.stripe.com/api/idempotent_requests;
# https://docs.stripe.com/error-codes#idempotency-key-in-use
def test_a_double_click_meeting_its_twin_in_flight_at_stripe_makes_one_subscription(
    plans, reader, stripe, stripe_sdk, live_server
):
    token = Token.objects.create(user=reader).key
    # Whichever creation reaches Stripe first stays in flight there for 4 s: long enough
    # for its twin to arrive while it runs, even on a loaded machine.
    stripe.fault("hold", path="/v1/subscriptions", delay_ms=4000)

    responses = fire_together([{"plan": "monthly"}] * 2, f"{live_server.url}{TRIAL}", token)

    assert sorted(r.status_code for r in responses) == [201, 409]
    refused = next(r for r in responses if r.status_code == 409)
    assert refused.json()["code"] == "operation_in_progress"  # not a 503: Stripe said why
    assert [r["status"] for r in subscription_creates(stripe)] == [409, 200]
    assert len({r["idempotency_key"] for r in subscription_creates(stripe)}) == 1
    assert Subscription.objects.filter(user=reader).count() == 1
    assert len(remote_subscriptions(stripe_sdk, reader)) == 1
    attempt = StripeAttempt.objects.get(operation="subscription.create")
    assert attempt.status == StripeAttempt.Status.SUCCEEDED
    assert attempt.holders == 0  # the refused request ran nothing and kept no hold
    # Clicked again: told what there is.
    again = requests.post(
        f"{live_server.url}{TRIAL}",
        json={"plan": "monthly"},
        headers={"Authorization": f"Token {token}"},
        timeout=60,
    )
    assert again.json()["code"] == "subscription_exists"


# https://docs.stripe.com/error-low-level#idempotency: the SDK retries a 409 and gets the replay
def test_with_the_sdks_retries_both_clicks_get_the_one_subscription(
    plans, reader, stripe, stripe_sdk, live_server, settings
):
    settings.STRIPE_MAX_NETWORK_RETRIES = 2
    token = Token.objects.create(user=reader).key
    stripe.fault("hold", path="/v1/subscriptions", delay_ms=800)

    responses = fire_together([{"plan": "monthly"}] * 2, f"{live_server.url}{TRIAL}", token)

    assert [r.status_code for r in responses] == [201, 201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert (
        len(
            [
                r
                for r in subscription_creates(stripe)
                if r["status"] == 200 and not r.get("replayed")
            ]
        )
        == 1
    )
    assert Subscription.objects.filter(user=reader).count() == 1
    assert len(remote_subscriptions(stripe_sdk, reader)) == 1


# https://docs.stripe.com/rate-limits#object-lock-timeouts: the SDKs retry lock timeouts
def test_a_lock_timeout_on_the_creation_is_retried_and_makes_one_subscription(
    plans, reader, reader_client, stripe, stripe_sdk, settings
):
    settings.STRIPE_MAX_NETWORK_RETRIES = 2
    stripe.fault("lock_timeout", count=1, path="/v1/subscriptions")

    response = reader_client.post(TRIAL, {"plan": "monthly"}, format="json")

    assert response.status_code == 201, response.content
    assert [r["status"] for r in subscription_creates(stripe)] == [429, 200]
    assert len({r["idempotency_key"] for r in subscription_creates(stripe)}) == 1
    assert [s.id for s in remote_subscriptions(stripe_sdk, reader)] == [response.json()["id"]]


# https://docs.stripe.com/rate-limits#object-lock-timeouts;
# https://docs.stripe.com/error-low-level#content-errors ("rate limiters run before the
# API's idempotency layer": nothing ran, nothing is stored under the key)
def test_a_lock_timeout_beyond_the_retries_is_a_clear_503_and_loses_nothing(
    plans, reader, reader_client, stripe, stripe_sdk, settings
):
    settings.STRIPE_MAX_NETWORK_RETRIES = 2
    stripe.fault("lock_timeout", count=3, path="/v1/subscriptions")

    response = reader_client.post(TRIAL, {"plan": "monthly"}, format="json")

    assert response.status_code == 503
    assert response.json()["code"] == "stripe_unavailable"
    assert [r["status"] for r in subscription_creates(stripe)] == [429, 429, 429]
    assert not Subscription.objects.filter(user=reader).exists()
    assert remote_subscriptions(stripe_sdk, reader) == []
    attempt = StripeAttempt.objects.get(operation="subscription.create")
    assert attempt.status == StripeAttempt.Status.PENDING  # a retry reuses its key
    assert attempt.holders == 0  # Stripe said nothing ran: no hold kept as if unknown

    # The same request again: its key, executed once now.
    retried = reader_client.post(TRIAL, {"plan": "monthly"}, format="json")

    assert retried.status_code == 201, retried.content
    assert [r["status"] for r in subscription_creates(stripe)] == [429, 429, 429, 200]
    assert not subscription_creates(stripe)[-1].get("replayed")
    assert len({r["idempotency_key"] for r in subscription_creates(stripe)}) == 1
    assert [s.id for s in remote_subscriptions(stripe_sdk, reader)] == [retried.json()["id"]]


def test_after_a_lock_timeout_the_reader_may_change_their_mind_at_once(
    plans, reader, reader_client, stripe, stripe_sdk
):
    stripe.fault("lock_timeout", count=1, path="/v1/subscriptions")
    assert reader_client.post(TRIAL, {"plan": "monthly"}, format="json").status_code == 503

    # Another plan straight away: nothing is in flight, so it is not "already under way".
    response = reader_client.post(TRIAL, {"plan": "yearly"}, format="json")

    assert response.status_code == 201, response.content
    assert [s.id for s in remote_subscriptions(stripe_sdk, reader)] == [response.json()["id"]]
    assert Subscription.objects.get(user=reader).plan.code == "yearly"


# https://docs.stripe.com/rate-limits#object-lock-timeouts: a real lock, not a fault. Another
# write to the reader's customer (the Dashboard, another integration) is in flight at Stripe.
def test_a_creation_waits_for_the_customers_lock_or_answers_503_when_it_stays_taken(
    plans, reader, reader_client, stripe, stripe_sdk, settings
):
    from billing.services.customers import customer_ensure

    settings.STRIPE_MAX_NETWORK_RETRIES = 2
    customer_id = customer_ensure(user=reader).stripe_customer_id

    def held_elsewhere(seconds):
        stripe.fault("hold", path=f"/v1/customers/{customer_id}", delay_ms=int(seconds * 1000))
        pool = ThreadPoolExecutor(max_workers=1)
        update = pool.submit(
            stripe_sdk.v1.customers.update,
            customer_id,
            params={"metadata": {"elsewhere": "1"}},
            options={"idempotency_key": f"elsewhere-{seconds}"},
        )
        deadline = time.monotonic() + 10
        while f"elsewhere-{seconds}" not in stripe.server.emulator.idempotency.in_flight():
            assert time.monotonic() < deadline
            time.sleep(0.01)
        return pool, update

    # Taken longer than the lock timeout and the SDK's retries: a clear 503, nothing made.
    stripe.settings(lock_timeout_seconds=0.3)
    pool, update = held_elsewhere(4)
    refused = reader_client.post(TRIAL, {"plan": "monthly"}, format="json")
    assert refused.status_code == 503
    assert refused.json()["code"] == "stripe_unavailable"
    assert [r["status"] for r in subscription_creates(stripe)] == [429, 429, 429]
    assert remote_subscriptions(stripe_sdk, reader) == []
    update.result()
    pool.shutdown()

    # Taken for less than the lock timeout: the creation waits its turn and succeeds.
    stripe.settings(lock_timeout_seconds=2)
    pool, update = held_elsewhere(0.8)
    started = time.monotonic()
    response = reader_client.post(TRIAL, {"plan": "monthly"}, format="json")
    assert response.status_code == 201, response.content
    assert time.monotonic() - started > 0.4  # it waited for the other write to finish
    assert update.result().metadata["elsewhere"] == "1"
    pool.shutdown()
    assert [r["status"] for r in subscription_creates(stripe)] == [429, 429, 429, 200]
    assert [s.id for s in remote_subscriptions(stripe_sdk, reader)] == [response.json()["id"]]
