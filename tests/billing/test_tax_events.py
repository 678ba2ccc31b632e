"""The reader's address as Stripe has it, mirrored on our Customer from its events."""

import pytest

from tests.helpers.tax import send, trial_from

pytestmark = pytest.mark.django_db


def test_an_address_changed_in_stripe_is_mirrored_from_customer_updated(
    client, django_capture_on_commit_callbacks, plans, reader, reader_client, stripe_sdk
):
    trial_from(reader_client, country="DE")
    customer = reader.billing_customer
    # Support corrects the address in Stripe's dashboard.
    stripe_sdk.v1.customers.update(
        customer.stripe_customer_id, params={"address": {"country": "AT", "postal_code": "1010"}}
    )

    send(
        client,
        django_capture_on_commit_callbacks,
        "customer.updated",
        {"id": customer.stripe_customer_id},
    )

    customer.refresh_from_db()
    assert (customer.country, customer.postal_code) == ("AT", "1010")
