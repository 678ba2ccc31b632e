"""Publishable keys: accepted only where Stripe.js uses one, refused elsewhere as Stripe does.

Stripe: a publishable key identifies the account in client-side code
(https://docs.stripe.com/keys); Stripe.js creates PaymentMethods from card details with
it, and retrieves and confirms intents with their `client_secret` ("required if using a
publishable key": https://docs.stripe.com/api/setup_intents/retrieve). Every other call
answers "This API call cannot be made with a publishable API key".
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
import stripe  # noqa: TID251 - the emulator is tested through the official SDK

from stripe_emulator.auth import DEFAULT_PUBLISHABLE_KEY
from stripe_emulator.server import EmulatorServer
from tests.helpers.stripe_emulator import raw

PUBLISHABLE_MESSAGE = "This API call cannot be made with a publishable API key."
CARD = {
    "type": "card",
    "card[number]": "4242424242424242",
    "card[exp_month]": "12",
    "card[exp_year]": "2034",
    "card[cvc]": "123",
}


def as_stripe_js(emulator, method, path, params, key=None):
    """A request as Stripe.js makes it: the publishable key as the `key` parameter."""
    query = urlencode({"key": key or emulator.publishable_key, **params})
    if method == "GET":
        return raw(emulator, "GET", f"{path}?{query}")
    return raw(
        emulator,
        "POST",
        path,
        query.encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )


def publishable_client(emulator) -> stripe.StripeClient:
    return stripe.StripeClient(
        emulator.publishable_key, base_addresses={"api": emulator.url}, max_network_retries=0
    )


@pytest.fixture
def setup_intent(stripe_client):
    customer = stripe_client.v1.customers.create(params={"email": "reader@example.com"})
    return stripe_client.v1.setup_intents.create(params={"customer": customer.id})


def test_a_publishable_key_creates_a_payment_method_from_card_details(stripe_emulator):
    status, headers, pm = as_stripe_js(stripe_emulator, "POST", "/v1/payment_methods", CARD)
    assert status == 200
    assert pm["card"]["last4"] == "4242"
    assert (pm["card"]["exp_month"], pm["card"]["exp_year"]) == (12, 2034)
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert stripe_emulator.requests()[-1]["key"] == "publishable"


def test_a_publishable_key_as_bearer_works_through_the_sdk(stripe_emulator, setup_intent):
    client = publishable_client(stripe_emulator)
    pm = client.v1.payment_methods.create(params={"type": "card", "card": {"token": "tok_visa"}})
    seti = client.v1.setup_intents.retrieve(
        setup_intent.id, params={"client_secret": setup_intent.client_secret}
    )
    assert seti.status == "requires_payment_method"
    confirmed = client.v1.setup_intents.confirm(
        setup_intent.id,
        params={"client_secret": setup_intent.client_secret, "payment_method": pm.id},
    )
    assert confirmed.status == "succeeded"


def test_a_publishable_key_confirms_a_setup_intent_with_its_client_secret(
    stripe_emulator, setup_intent
):
    _, _, pm = as_stripe_js(stripe_emulator, "POST", "/v1/payment_methods", CARD)
    path = f"/v1/setup_intents/{setup_intent.id}"
    secret = setup_intent.client_secret
    status, _, seti = as_stripe_js(
        stripe_emulator,
        "POST",
        f"{path}/confirm",
        {"client_secret": secret, "payment_method": pm["id"]},
    )
    assert status == 200
    assert seti["status"] == "succeeded"
    status, _, seti = as_stripe_js(stripe_emulator, "GET", path, {"client_secret": secret})
    assert (status, seti["status"]) == (200, "succeeded")


def test_a_wrong_or_missing_client_secret_is_refused(stripe_emulator, setup_intent):
    path = f"/v1/setup_intents/{setup_intent.id}"
    other = f"{setup_intent.id}_secret_notTheOne"
    status, _, body = as_stripe_js(stripe_emulator, "GET", path, {"client_secret": other})
    assert status == 400
    assert body["error"]["param"] == "client_secret"
    assert body["error"]["message"] == (
        "The client_secret provided does not match the client_secret associated with the "
        "SetupIntent."
    )
    status, _, body = as_stripe_js(stripe_emulator, "GET", path, {})
    assert status == 401
    assert body["error"]["message"].startswith(PUBLISHABLE_MESSAGE)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/customers"),
        ("POST", "/v1/customers"),
        ("POST", "/v1/setup_intents"),
        ("GET", "/v1/payment_methods"),
        ("POST", "/v1/subscriptions"),
        ("GET", "/v1/events"),
    ],
)
def test_a_publishable_key_is_refused_everywhere_else(stripe_emulator, method, path):
    status, _, body = as_stripe_js(stripe_emulator, method, path, {})
    assert status == 401
    assert body["error"]["message"].startswith(PUBLISHABLE_MESSAGE)
    with pytest.raises(stripe.AuthenticationError):
        publishable_client(stripe_emulator).v1.customers.list()


def test_a_publishable_key_not_given_at_start_is_invalid(stripe_emulator):
    other = "pk_test_51SomeoneElseWxyz"
    status, _, body = as_stripe_js(stripe_emulator, "POST", "/v1/payment_methods", CARD, key=other)
    assert status == 401
    masked = "pk_test_" + "*" * (len(other) - 12) + "Wxyz"  # first 8, last 4
    assert body["error"]["message"] == f"Invalid API Key provided: {masked}"


def test_the_secret_key_still_works_on_the_publishable_endpoints(stripe_client, setup_intent):
    seti = stripe_client.v1.setup_intents.retrieve(setup_intent.id)
    assert seti.id == setup_intent.id
    pm = stripe_client.v1.payment_methods.create(
        params={"type": "card", "card": {"token": "tok_visa"}}
    )
    assert (
        stripe_client.v1.setup_intents.confirm(
            setup_intent.id, params={"payment_method": pm.id}
        ).status
        == "succeeded"
    )
    assert stripe_client.v1.customers.list().data


def test_the_api_answers_a_cors_preflight_from_any_origin(stripe_emulator):
    status, headers, _ = _options(stripe_emulator, "/v1/payment_methods")
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert "Authorization" in headers["Access-Control-Allow-Headers"]


def _options(emulator, path):
    import urllib.request

    request = urllib.request.Request(  # noqa: S310 - loopback
        emulator.url + path,
        method="OPTIONS",
        headers={"Origin": "http://127.0.0.1:1", "Access-Control-Request-Method": "POST"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status, dict(response.headers), response.read()


def test_a_server_accepts_the_publishable_keys_it_is_given():
    server = EmulatorServer("127.0.0.1", 0, publishable_keys=["pk_test_mine"]).start()
    try:
        assert server.publishable_keys == frozenset({"pk_test_mine"})
        with pytest.raises(ValueError, match="pk_test_"):
            EmulatorServer("127.0.0.1", 0, publishable_keys=["pk_live_51Live"])
    finally:
        server.stop()
    default = EmulatorServer("127.0.0.1", 0)
    default.httpd.server_close()
    assert default.publishable_keys == {DEFAULT_PUBLISHABLE_KEY} == {"pk_test_emulator"}
