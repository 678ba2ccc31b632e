"""API versions: the emulator serves the SDK's pinned version and refuses any other loudly.

Stripe: https://docs.stripe.com/api-versions (each request runs against one version: its
Stripe-Version header, else the account default; webhook events are rendered in their
endpoint's version) and https://docs.stripe.com/sdks/set-version (the SDK pins a version and
lets a client or a request override it: `stripe_version`). A version Stripe never released
is a 400 "Invalid Stripe API version: ..." (stripe/stripe-java#682, pay-rails/pay#680).
Webhook endpoints: https://docs.stripe.com/api/webhook_endpoints/create (`api_version`) and
https://docs.stripe.com/webhooks/versioning.
"""

from __future__ import annotations

import typing

import pytest
import stripe  # noqa: TID251 - the emulator is tested through the official SDK
from stripe.params import WebhookEndpointCreateParams  # noqa: TID251 - the SDK's own list

from stripe_emulator.pytest_plugin import ControlError
from stripe_emulator.store import API_VERSION
from stripe_emulator.versions import RELEASED
from tests.helpers.stripe_emulator import raw
from tests.stripe_emulator.receiver import Receiver

OTHER = "2025-03-31.basil"  # a version Stripe released, not the one served
SERVED_ONLY = f"This Stripe emulator serves only API version {API_VERSION}"


def versioned(emulator, version: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        emulator.api_key,
        base_addresses={"api": emulator.url},
        stripe_version=version,
        max_network_retries=0,
    )


def test_the_sdks_pinned_version_is_the_one_served(stripe_client):
    # https://docs.stripe.com/sdks/set-version: the SDK sends the version it pins.
    assert stripe.api_version == API_VERSION
    customer = stripe_client.v1.customers.create(params={"email": "v@example.com"})
    assert customer.last_response.headers["Stripe-Version"] == API_VERSION


def test_a_request_without_a_version_is_served_in_the_pinned_one(stripe_emulator):
    # https://docs.stripe.com/api-versions: no Stripe-Version header -> the default version.
    auth = {"Authorization": f"Bearer {stripe_emulator.api_key}"}
    status, headers, body = raw(stripe_emulator, "GET", "/v1/customers", headers=auth)
    assert status == 200
    assert headers["Stripe-Version"] == API_VERSION
    assert body["object"] == "list"


def test_the_pinned_version_given_explicitly_is_served(stripe_emulator):
    client = versioned(stripe_emulator, API_VERSION)
    assert client.v1.customers.create().object == "customer"


def test_another_released_version_is_refused_naming_the_one_served(stripe_emulator):
    # Stripe would answer in OTHER's shapes; the emulator has only the pinned version's,
    # so it refuses rather than answer silently in another shape.
    with pytest.raises(stripe.InvalidRequestError) as caught:
        versioned(stripe_emulator, OTHER).v1.customers.create(params={"email": "o@example.com"})
    assert caught.value.http_status == 400
    assert caught.value.user_message.startswith(SERVED_ONLY)
    assert OTHER in caught.value.user_message
    # Nothing was executed.
    assert stripe_emulator.client().v1.customers.list().data == []


def test_a_per_request_version_override_is_refused_the_same_way(stripe_client):
    # https://docs.stripe.com/sdks/set-version: the version can be set per request.
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.customers.list(options={"stripe_version": "2026-09-30.endive"})
    assert caught.value.http_status == 400
    assert caught.value.user_message.startswith(SERVED_ONLY)


@pytest.mark.parametrize("version", ["1999-99-99.nope", "garbage", "2026-10-28", "2019-2-19"])
def test_a_version_stripe_never_released_is_stripes_400(stripe_emulator, version):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        versioned(stripe_emulator, version).v1.customers.list()
    assert caught.value.http_status == 400
    assert caught.value.error.type == "invalid_request_error"
    assert caught.value.user_message == f"Invalid Stripe API version: {version}"


def test_the_key_is_checked_before_the_version(stripe_emulator):
    client = stripe.StripeClient(
        "sk_test_unknown_key_1234",
        base_addresses={"api": stripe_emulator.url},
        stripe_version="1999-99-99.nope",
        max_network_retries=0,
    )
    with pytest.raises(stripe.AuthenticationError):
        client.v1.customers.list()


def test_the_table_of_released_versions_is_the_sdks():
    # versions.RELEASED is copied from the SDK's WebhookEndpoint api_version enum: it grows
    # with the SDK, and this fails when the two part.
    annotation = WebhookEndpointCreateParams.__annotations__["api_version"]
    (literal,) = typing.get_args(annotation)
    assert set(typing.get_args(literal)) == RELEASED
    assert API_VERSION in RELEASED


# -- webhook endpoints ---------------------------------------------------------------------


def test_an_endpoint_in_the_served_version_carries_it_and_gets_events_in_it(
    stripe_emulator, stripe_client
):
    # https://docs.stripe.com/api/webhook_endpoints/create: api_version, "Events sent to this
    # endpoint will be generated with this Stripe Version".
    receiver = Receiver()
    try:
        endpoint = stripe_client.v1.webhook_endpoints.create(
            params={"url": receiver.url, "enabled_events": ["*"], "api_version": API_VERSION}
        )
        receiver.secret = endpoint.secret
        assert endpoint.api_version == API_VERSION
        assert stripe_client.v1.webhook_endpoints.retrieve(endpoint.id).api_version == API_VERSION
        customer = stripe_client.v1.customers.create(params={"email": "e@example.com"})
        stripe_emulator.flush()
        (event,) = receiver.take()
        assert (event.type, event.data.object.id) == ("customer.created", customer.id)
        assert event.api_version == API_VERSION
        assert receiver.rejected == []
    finally:
        receiver.stop()


def test_an_endpoint_without_a_version_shows_none_as_stripe_does(stripe_client):
    # The endpoint then follows the account's default version (the one served).
    endpoint = stripe_client.v1.webhook_endpoints.create(
        params={"url": "https://example.com/hook", "enabled_events": ["*"]}
    )
    assert endpoint.api_version is None


def test_an_endpoint_asking_for_another_released_version_is_refused(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.webhook_endpoints.create(
            params={
                "url": "https://example.com/hook",
                "enabled_events": ["*"],
                "api_version": OTHER,
            }
        )
    assert caught.value.http_status == 400
    assert caught.value.param == "api_version"
    assert caught.value.user_message.startswith(SERVED_ONLY)
    assert stripe_client.v1.webhook_endpoints.list().data == []


def test_an_endpoint_asking_for_an_unknown_version_is_refused_as_an_invalid_value(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.webhook_endpoints.create(
            params={
                "url": "https://example.com/hook",
                "enabled_events": ["*"],
                "api_version": "1999-99-99.nope",
            }
        )
    assert caught.value.http_status == 400
    assert caught.value.param == "api_version"
    assert caught.value.user_message.startswith("Invalid api_version: must be one of 2011-01-01")


def test_the_control_api_registers_endpoints_in_the_served_version_only(stripe_emulator):
    endpoint = stripe_emulator.register_webhook("https://example.com/hook", api_version=API_VERSION)
    assert endpoint["api_version"] == API_VERSION
    with pytest.raises(ControlError) as caught:
        stripe_emulator.register_webhook("https://example.com/other", api_version=OTHER)
    assert caught.value.status == 400
    assert caught.value.body["error"]["message"].startswith(SERVED_ONLY)
    listed = stripe_emulator.client().v1.webhook_endpoints.list().data
    assert [e.url for e in listed] == ["https://example.com/hook"]
