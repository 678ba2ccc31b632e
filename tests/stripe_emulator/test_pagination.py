"""Lists (limit, starting_after, ending_before, has_more, url) and expand."""

from __future__ import annotations

import pytest
import stripe  # noqa: TID251 - the emulator is tested through the official SDK


def test_auto_paging_iter_walks_250_objects_newest_first(stripe_client):
    created = [
        stripe_client.v1.customers.create(params={"email": f"r{i}@example.com"}).id
        for i in range(250)
    ]
    page = stripe_client.v1.customers.list(params={"limit": 100})
    assert page.has_more is True
    assert page.url == "/v1/customers"
    assert len(page.data) == 100
    seen = [c.id for c in page.auto_paging_iter()]
    assert seen == list(reversed(created))
    last = stripe_client.v1.customers.list(params={"limit": 100, "starting_after": seen[199]})
    assert len(last.data) == 50
    assert last.has_more is False


def test_ending_before_pages_backwards(stripe_client):
    ids = [stripe_client.v1.products.create(params={"name": f"p{i}"}).id for i in range(5)]
    newest_first = list(reversed(ids))
    page = stripe_client.v1.products.list(params={"limit": 2, "ending_before": newest_first[3]})
    assert [p.id for p in page.data] == newest_first[1:3]
    assert page.has_more is True
    page = stripe_client.v1.products.list(params={"limit": 2, "ending_before": newest_first[1]})
    assert [p.id for p in page.data] == newest_first[:1]
    assert page.has_more is False


def test_default_limit_is_10_and_limit_is_bounded(stripe_client):
    for i in range(12):
        stripe_client.v1.products.create(params={"name": f"p{i}"})
    assert len(stripe_client.v1.products.list().data) == 10
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.products.list(params={"limit": 101})
    assert caught.value.param == "limit"


def test_starting_after_and_ending_before_are_exclusive(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.products.list(params={"starting_after": "a", "ending_before": "b"})
    assert caught.value.code == "parameters_exclusive"


def test_customer_list_filters_by_email(stripe_client):
    stripe_client.v1.customers.create(params={"email": "a@example.com"})
    b = stripe_client.v1.customers.create(params={"email": "b@example.com"})
    found = stripe_client.v1.customers.list(params={"email": "b@example.com"}).data
    assert [c.id for c in found] == [b.id]


def test_expand_on_create_retrieve_and_list(stripe_client, price):
    customer = stripe_client.v1.customers.create(
        params={
            "payment_method": "pm_card_visa",
            "invoice_settings": {"default_payment_method": "pm_card_visa"},
        }
    )
    assert customer.invoice_settings.default_payment_method.startswith("pm_")
    sub = stripe_client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price.id}],
            "trial_period_days": 30,
            "default_payment_method": customer.invoice_settings.default_payment_method,
            "expand": ["latest_invoice", "customer", "default_payment_method"],
        }
    )
    assert isinstance(sub.latest_invoice, stripe.Invoice)
    assert isinstance(sub.customer, stripe.Customer)
    assert isinstance(sub.default_payment_method, stripe.PaymentMethod)
    assert sub.default_payment_method.card.last4 == "4242"

    nopm = stripe_client.v1.customers.create(params={})
    trial = stripe_client.v1.subscriptions.create(
        params={"customer": nopm.id, "items": [{"price": price.id}], "trial_period_days": 30}
    )
    fetched = stripe_client.v1.subscriptions.retrieve(
        trial.id, params={"expand": ["pending_setup_intent"]}
    )
    assert isinstance(fetched.pending_setup_intent, stripe.SetupIntent)
    assert fetched.pending_setup_intent.status == "requires_payment_method"

    listed = stripe_client.v1.subscriptions.list(
        params={"customer": customer.id, "expand": ["data.latest_invoice", "data.customer"]}
    )
    assert listed.data[0].latest_invoice.id == sub.latest_invoice.id
    assert listed.data[0].customer.id == customer.id

    cust = stripe_client.v1.customers.retrieve(
        customer.id, params={"expand": ["invoice_settings.default_payment_method"]}
    )
    assert cust.invoice_settings.default_payment_method.card.brand == "visa"


def test_expand_of_a_non_expandable_field_is_refused(stripe_client, price):
    customer = stripe_client.v1.customers.create(params={})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.customers.retrieve(customer.id, params={"expand": ["email"]})
    assert caught.value.param == "expand"
