"""Idempotency-Key as Stripe honours it (docs/emulator-lifecycle.md, "Idempotency")."""

from __future__ import annotations

import pytest
import stripe  # noqa: TID251 - the emulator is tested through the official SDK

from stripe_emulator.errors import StripeError
from stripe_emulator.idempotency import TTL_SECONDS, IdempotencyStore


def test_same_key_same_params_replays_with_header(stripe_client):
    first = stripe_client.v1.customers.create(
        params={"email": "a@example.com"}, options={"idempotency_key": "attempt-1"}
    )
    second = stripe_client.v1.customers.create(
        params={"email": "a@example.com"}, options={"idempotency_key": "attempt-1"}
    )
    assert second.id == first.id
    assert "Idempotent-Replayed" not in first.last_response.headers
    assert second.last_response.headers["Idempotent-Replayed"] == "true"
    assert second.last_response.headers["Original-Request"] == first.last_response.request_id
    assert second.last_response.idempotency_key == "attempt-1"
    assert len(stripe_client.v1.customers.list().data) == 1


def test_the_request_log_marks_replays(stripe_emulator, stripe_client):
    for _ in range(2):
        stripe_client.v1.customers.create(
            params={"email": "a@example.com"}, options={"idempotency_key": "attempt-log"}
        )
    log = stripe_emulator.requests()
    assert [(r["idempotency_key"], r.get("replayed", False)) for r in log] == [
        ("attempt-log", False),
        ("attempt-log", True),
    ]


def test_same_key_other_params_is_idempotency_error(stripe_client):
    stripe_client.v1.customers.create(
        params={"email": "a@example.com"}, options={"idempotency_key": "attempt-2"}
    )
    with pytest.raises(stripe.IdempotencyError) as caught:
        stripe_client.v1.customers.create(
            params={"email": "b@example.com"}, options={"idempotency_key": "attempt-2"}
        )
    assert caught.value.http_status == 400
    assert "attempt-2" in caught.value.user_message
    assert caught.value.json_body["error"]["type"] == "idempotency_error"


def test_same_key_on_another_endpoint_is_idempotency_error(stripe_client):
    stripe_client.v1.customers.create(params={}, options={"idempotency_key": "k"})
    with pytest.raises(stripe.IdempotencyError):
        stripe_client.v1.products.create(params={"name": "x"}, options={"idempotency_key": "k"})


def test_errors_after_execution_began_are_stored_and_replayed(stripe_client):
    customer = stripe_client.v1.customers.create(params={})
    params = {"customer": customer.id}
    with pytest.raises(stripe.CardError) as first:
        stripe_client.v1.payment_methods.attach(
            "pm_card_visa_chargeDeclined", params=params, options={"idempotency_key": "att"}
        )
    with pytest.raises(stripe.CardError) as second:
        stripe_client.v1.payment_methods.attach(
            "pm_card_visa_chargeDeclined", params=params, options={"idempotency_key": "att"}
        )
    assert second.value.headers["Idempotent-Replayed"] == "true"
    assert second.value.json_body == first.value.json_body


def test_validation_failures_are_not_stored(stripe_client):
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.customers.create(params={"bogus": "1"}, options={"idempotency_key": "v"})
    # Not stored: the same key with corrected params executes.
    customer = stripe_client.v1.customers.create(
        params={"email": "ok@example.com"}, options={"idempotency_key": "v"}
    )
    assert "Idempotent-Replayed" not in customer.last_response.headers


def test_injected_faults_store_nothing(stripe_emulator, stripe_client):
    for mode in ("500", "429"):
        stripe_emulator.fault(mode)
        with pytest.raises(stripe.StripeError):
            stripe_client.v1.customers.create(
                params={"email": "a@example.com"}, options={"idempotency_key": f"f-{mode}"}
            )
        created = stripe_client.v1.customers.create(
            params={"email": "a@example.com"}, options={"idempotency_key": f"f-{mode}"}
        )
        assert "Idempotent-Replayed" not in created.last_response.headers
    stripe_emulator.fault("drop")
    with pytest.raises(stripe.APIConnectionError):
        stripe_client.v1.customers.create(params={}, options={"idempotency_key": "f-drop"})
    created = stripe_client.v1.customers.create(params={}, options={"idempotency_key": "f-drop"})
    assert "Idempotent-Replayed" not in created.last_response.headers


def test_drop_after_then_retry_with_same_key_creates_one_object(stripe_emulator, price):
    client = stripe_emulator.client(max_network_retries=2)
    customer = client.v1.customers.create(
        params={"payment_method": "pm_card_visa", "email": "r@example.com"}
    )
    pm = client.v1.payment_methods.list(params={"customer": customer.id}).data[0]
    stripe_emulator.fault("drop_after", path="/v1/subscriptions")
    sub = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price.id}],
            "default_payment_method": pm.id,
        }
    )
    assert sub.status == "active"
    assert sub.last_response.headers["Idempotent-Replayed"] == "true"
    subs = client.v1.subscriptions.list(params={"customer": customer.id}).data
    assert [s.id for s in subs] == [sub.id]
    posts = [
        r
        for r in stripe_emulator.requests()
        if (r["method"], r["path"]) == ("POST", "/v1/subscriptions")
    ]
    assert len(posts) == 2
    assert posts[0]["dropped"] is True
    assert posts[0]["idempotency_key"] == posts[1]["idempotency_key"]
    # Only one charge happened.
    invoices = client.v1.invoices.list(params={"customer": customer.id}).data
    assert len(invoices) == 1
    assert invoices[0].amount_paid == 999


def test_drop_after_without_retry_still_executed(stripe_emulator, stripe_client):
    stripe_emulator.fault("drop_after", path="/v1/customers")
    with pytest.raises(stripe.APIConnectionError):
        stripe_client.v1.customers.create(params={"email": "x@example.com"})
    assert len(stripe_client.v1.customers.list().data) == 1


def test_keys_on_get_have_no_effect(stripe_emulator, stripe_client):
    stripe_client.v1.customers.list(options={"idempotency_key": "g"})
    stripe_client.v1.customers.create(params={}, options={"idempotency_key": "g"})
    log = stripe_emulator.requests()
    assert log[0]["idempotency_key"] is None


def test_keys_are_kept_24_hours_then_pruned():
    store = IdempotencyStore()
    store.store("k", "print", 200, b"{}", "req_1", now=1000.0)
    assert store.lookup("k", "print", now=1000.0 + TTL_SECONDS) is not None
    assert TTL_SECONDS >= 24 * 3600
    with pytest.raises(StripeError):
        store.lookup("k", "other", now=1000.0 + TTL_SECONDS - 1)
    assert store.lookup("k", "print", now=1000.0 + TTL_SECONDS + 1) is None
    assert "k" not in store


def test_overlong_key_is_refused(stripe_client):
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.customers.create(params={}, options={"idempotency_key": "k" * 256})
