"""Concurrent trial starts from a reader who says where they are: the creation attempt
they share carries the location too, so Stripe gets one address and one tax ID."""

import pytest
from rest_framework.authtoken.models import Token

from billing.models import Customer, Subscription
from tests.helpers.clients import fire_together
from tests.helpers.tax import taxed

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_ten_concurrent_trial_starts_with_a_vat_number_add_it_once(
    plans, reader, stripe, stripe_sdk, live_server
):
    taxed(stripe)
    token = Token.objects.create(user=reader).key
    body = {"plan": "monthly", "country": "FR", "vat_id": "FR40303265045"}

    responses = fire_together([body] * 10, f"{live_server.url}/api/billing/trial/", token)

    codes = [r.status_code for r in responses]
    assert set(codes) <= {201, 409}, [r.text for r in responses if r.status_code not in (201, 409)]
    assert 201 in codes
    assert Subscription.objects.filter(user=reader).count() == 1
    customer = Customer.objects.get(user=reader)
    assert customer.country == "FR"
    tax_ids = stripe_sdk.v1.customers.tax_ids.list(customer.stripe_customer_id).data
    assert [(t.type, t.value) for t in tax_ids] == [("eu_vat", "FR40303265045")]
    remote = stripe_sdk.v1.subscriptions.list(params={"customer": customer.stripe_customer_id})
    assert len(remote.data) == 1
    assert remote.data[0].automatic_tax.enabled is True
