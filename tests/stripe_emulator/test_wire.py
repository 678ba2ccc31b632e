"""Stripe's wire conventions: auth, params, errors, request ids, faults, control API."""

from __future__ import annotations

import json
import time

import pytest
import stripe  # noqa: TID251 - the emulator is tested through the official SDK

from stripe_emulator.params import parse_form
from tests.helpers.stripe_emulator import raw


def test_parse_form_nested_lists_and_expand_forms():
    params = parse_form(
        "items[0][price]=p1&items[0][quantity]=2&items[1][price]=p2&metadata[0]=zero"
        "&metadata[k]=v&expand[]=a&expand[]=b&trial_settings[end_behavior]"
        "[missing_payment_method]=pause&flag=true&empty="
    )
    assert params == {
        "items": [{"price": "p1", "quantity": "2"}, {"price": "p2"}],
        "metadata": {"0": "zero", "k": "v"},
        "expand": ["a", "b"],
        "trial_settings": {"end_behavior": {"missing_payment_method": "pause"}},
        "flag": "true",
        "empty": "",
    }
    assert parse_form("expand[0]=x&expand[1]=y") == {"expand": ["x", "y"]}


def test_bad_api_key_raises_authentication_error(stripe_emulator):
    client = stripe.StripeClient(
        "sk_live_nope", base_addresses={"api": stripe_emulator.url}, max_network_retries=0
    )
    with pytest.raises(stripe.AuthenticationError) as caught:
        client.v1.customers.list()
    assert caught.value.http_status == 401
    assert "Invalid API Key" in caught.value.user_message


def test_missing_authorization_is_401_with_stripe_body(stripe_emulator):
    status, headers, body = raw(stripe_emulator, "GET", "/v1/customers")
    assert status == 401
    assert body["error"]["type"] == "invalid_request_error"
    assert "You did not provide an API key" in body["error"]["message"]
    assert headers["Request-Id"].startswith("req_")


def test_bearer_and_basic_auth_are_accepted(stripe_emulator):
    status, _, body = raw(
        stripe_emulator,
        "GET",
        "/v1/customers",
        headers={"Authorization": f"Bearer {stripe_emulator.api_key}"},
    )
    assert status == 200
    assert body == {"object": "list", "data": [], "has_more": False, "url": "/v1/customers"}
    import base64

    basic = base64.b64encode(f"{stripe_emulator.api_key}:".encode()).decode()
    status, _, _ = raw(
        stripe_emulator, "GET", "/v1/customers", headers={"Authorization": f"Basic {basic}"}
    )
    assert status == 200


def test_every_response_carries_a_request_id(stripe_client):
    customer = stripe_client.v1.customers.create(params={"email": "a@example.com"})
    assert customer.last_response.request_id.startswith("req_")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.customers.retrieve("cus_missing")
    assert caught.value.request_id.startswith("req_")
    assert caught.value.request_id != customer.last_response.request_id


def test_unknown_parameter_is_refused_with_its_name(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.customers.create(params={"email": "a@example.com", "colour": "red"})
    assert caught.value.http_status == 400
    assert caught.value.param == "colour"
    assert caught.value.code == "parameter_unknown"
    assert "Received unknown parameter: colour" in caught.value.user_message


def test_unknown_nested_parameter_is_refused(stripe_client, price):
    customer = stripe_client.v1.customers.create(params={})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.subscriptions.create(
            params={"customer": customer.id, "items": [{"price": price.id, "colour": "x"}]}
        )
    assert caught.value.param == "items[0][colour]"


def test_missing_required_param(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.subscriptions.create(params={"items": [{"price": "price_x"}]})
    assert caught.value.param == "customer"
    assert caught.value.code == "parameter_missing"


def test_unknown_id_is_404_resource_missing(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.subscriptions.retrieve("sub_nope")
    assert caught.value.http_status == 404
    assert caught.value.code == "resource_missing"
    assert caught.value.param == "id"
    assert "No such subscription: 'sub_nope'" in caught.value.user_message


def test_unknown_url_is_404(stripe_emulator):
    status, _, body = raw(
        stripe_emulator,
        "GET",
        "/v1/nothing_here",
        headers={"Authorization": f"Bearer {stripe_emulator.api_key}"},
    )
    assert status == 404
    assert "Unrecognized request URL (GET: /v1/nothing_here)" in body["error"]["message"]


def test_expand_brackets_without_index_are_accepted(stripe_emulator, stripe_client, price):
    customer = stripe_client.v1.customers.create(params={"email": "x@example.com"})
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}], "trial_period_days": 7}
    )
    status, _, body = raw(
        stripe_emulator,
        "GET",
        f"/v1/subscriptions/{sub.id}?expand[]=customer&expand[]=latest_invoice",
        headers={"Authorization": f"Bearer {stripe_emulator.api_key}"},
    )
    assert status == 200
    assert body["customer"]["email"] == "x@example.com"
    assert body["latest_invoice"]["object"] == "invoice"


def test_card_error_carries_code_and_decline_code(stripe_client):
    customer = stripe_client.v1.customers.create(params={})
    with pytest.raises(stripe.CardError) as caught:
        stripe_client.v1.payment_methods.attach(
            "pm_card_visa_chargeDeclinedInsufficientFunds", params={"customer": customer.id}
        )
    assert caught.value.http_status == 402
    assert caught.value.code == "card_declined"
    assert caught.value.error.decline_code == "insufficient_funds"
    assert caught.value.user_message == "Your card has insufficient funds."


def test_fault_500_raises_api_error_and_is_logged(stripe_emulator, stripe_client):
    stripe_emulator.fault("500", path="/v1/customers")
    with pytest.raises(stripe.APIError) as caught:
        stripe_client.v1.customers.create(params={"email": "a@example.com"})
    assert caught.value.http_status == 500
    # The fault is used up: the next call works, and nothing was created by the first.
    stripe_client.v1.customers.create(params={"email": "b@example.com"})
    assert [c.email for c in stripe_client.v1.customers.list().data] == ["b@example.com"]
    log = stripe_emulator.requests()
    assert [(r["method"], r["path"], r["status"]) for r in log] == [
        ("POST", "/v1/customers", 500),
        ("POST", "/v1/customers", 200),
        ("GET", "/v1/customers", 200),
    ]
    assert log[0]["idempotency_key"]
    assert isinstance(log[0]["time"], float)


def test_fault_500_is_retried_by_the_sdk_with_the_same_key(stripe_emulator):
    client = stripe_emulator.client(max_network_retries=2)
    stripe_emulator.fault("500", count=1)
    customer = client.v1.customers.create(params={"email": "a@example.com"})
    assert customer.email == "a@example.com"
    log = stripe_emulator.requests()
    assert [r["status"] for r in log] == [500, 200]
    assert log[0]["idempotency_key"] == log[1]["idempotency_key"]
    assert len(client.v1.customers.list().data) == 1


def test_fault_429_raises_rate_limit_error_with_should_retry(stripe_emulator, stripe_client):
    stripe_emulator.fault("429")
    with pytest.raises(stripe.RateLimitError) as caught:
        stripe_client.v1.customers.list()
    assert caught.value.http_status == 429
    assert caught.value.headers["Stripe-Should-Retry"] == "true"
    assert caught.value.json_body["error"]["code"] == "rate_limit"


def test_fault_drop_raises_connection_error(stripe_emulator, stripe_client):
    stripe_emulator.fault("drop", path="/v1/customers")
    with pytest.raises(stripe.APIConnectionError):
        stripe_client.v1.customers.create(params={"email": "a@example.com"})
    assert stripe_client.v1.customers.list().data == []


def test_fault_path_prefix_only_hits_matching_requests(stripe_emulator, stripe_client):
    stripe_emulator.fault("500", count=2, path="/v1/subscriptions")
    stripe_client.v1.customers.list()
    assert stripe_emulator.control("GET", "/_emulator/faults")["faults"][0]["count"] == 2


def test_fault_delay_delays_then_answers(stripe_emulator, stripe_client):
    stripe_emulator.fault("delay", delay_ms=300)
    started = time.monotonic()
    stripe_client.v1.customers.list()
    assert time.monotonic() - started >= 0.3
    assert stripe_emulator.requests()[0]["fault"] == "delay"


def test_a_delayed_request_holds_up_no_other(stripe_emulator, stripe_client):
    """As at Stripe, a slow request does not serialise the others (the delay comes
    before execution takes the state lock): the double-charge race depends on it."""
    from concurrent.futures import ThreadPoolExecutor

    stripe_emulator.fault("delay", delay_ms=3000, path="/v1/customers")
    with ThreadPoolExecutor(max_workers=1) as pool:
        slow = pool.submit(stripe_client.v1.customers.create, params={"email": "a@example.com"})
        while stripe_emulator.control("GET", "/_emulator/faults")["faults"]:
            time.sleep(0.01)
        started = time.monotonic()
        stripe_emulator.fault("429", path="/v1/products", should_retry=False)
        with pytest.raises(stripe.RateLimitError):
            stripe_client.v1.products.create(params={"name": "Other"})
        stripe_client.v1.prices.list()
        assert time.monotonic() - started < 2
        assert not slow.done()
        assert slow.result().email == "a@example.com"


def test_control_api_rejects_bad_fault(stripe_emulator):
    status, _, body = raw(
        stripe_emulator, "POST", "/_emulator/faults", json.dumps({"mode": "explode"}).encode()
    )
    assert status == 400
    assert "mode" in body["error"]


def test_clock_reports_unix_now(stripe_emulator):
    now = stripe_emulator.clock()
    assert abs(now - time.time()) < 5


def test_reset_forgets_everything(stripe_emulator, stripe_client):
    stripe_client.v1.customers.create(params={})
    stripe_emulator.fault("500", count=5)
    stripe_emulator.reset()
    assert stripe_emulator.requests() == []
    assert stripe_client.v1.customers.list().data == []


def test_methods_stripe_lacks_are_unrecognized(stripe_emulator):
    status, headers, body = raw(
        stripe_emulator,
        "PUT",
        "/v1/customers",
        headers={"Authorization": f"Bearer {stripe_emulator.api_key}"},
    )
    assert status == 404
    assert "Unrecognized request URL (PUT: /v1/customers)" in body["error"]["message"]
    assert headers["Request-Id"].startswith("req_")
