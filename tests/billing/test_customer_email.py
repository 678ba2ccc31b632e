"""A reader whose stored address Stripe refuses (an account made before registration
refused such addresses, or by staff) gets a clear 400 when billing needs a Stripe
customer, and nothing is created in Stripe. Stripe refuses an address without a
dotted domain with `email_invalid` (https://docs.stripe.com/error-codes)."""

import pytest

from billing.gateway.client import EmailRefused, call, stripe_client
from billing.models import Customer, Subscription
from tests.factories import UserFactory
from tests.helpers.clients import client_for

pytestmark = pytest.mark.django_db


def test_a_trial_for_a_reader_whose_address_stripe_refuses_is_a_400_email_invalid(
    plans, stripe, stripe_sdk
):
    reader = UserFactory(email="reader@localhost")

    response = client_for(reader).post("/api/billing/trial/", {"plan": "monthly"}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "email_invalid"
    assert "email address" in body["detail"]
    assert not Customer.objects.exists()
    assert not Subscription.objects.exists()
    assert stripe_sdk.v1.customers.list().data == []


def test_the_gateway_turns_stripes_email_invalid_into_email_refused(stripe):
    # Stripe's own refusal (here the emulator's, which refuses what Stripe refuses), made
    # without the gateway's check in front, still reaches the API as email_invalid.
    with pytest.raises(EmailRefused) as err:
        call(
            "customer.create",
            lambda: stripe_client().v1.customers.create(params={"email": "a b@c.de"}),
        )
    assert err.value.code == "email_invalid"
    assert err.value.param == "email"
