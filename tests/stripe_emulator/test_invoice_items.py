"""Invoice items: /v1/invoiceitems, pending items on the next cycle invoice, and the
proration items subscriptions make, listable as the invoice items they are in Stripe.

https://docs.stripe.com/api/invoiceitems : an item waits (`invoice` null) for the
customer's next invoice, or only its subscription's when `subscription` is set, or goes
on a draft invoice given as `invoice`; pending items can be updated and deleted.
"""

from __future__ import annotations

import pytest
import stripe  # noqa: TID251 - tests drive the emulator through the official SDK

from tests.helpers.stripe_emulator import customer_with_card, moment
from tests.stripe_time import past_renewal


def subscribe(client, customer, price, **params):
    return client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}], **params}
    )


def latest_invoice(client, sub):
    return client.v1.subscriptions.retrieve(
        sub.id, params={"expand": ["latest_invoice"]}
    ).latest_invoice


def item_line(invoice, item_id):
    for line in invoice.lines.data:
        details = line.parent.invoice_item_details or line.parent.subscription_item_details
        if details.invoice_item == item_id:
            return line
    return None


def test_a_pending_item_goes_on_the_next_cycle_invoice(
    stripe_emulator, stripe_client, price, receiver
):
    # https://docs.stripe.com/api/invoiceitems/create
    customer, _ = customer_with_card(stripe_client)
    sub = subscribe(stripe_client, customer, price)
    moment(stripe_emulator, receiver)
    item = stripe_client.v1.invoice_items.create(
        params={
            "customer": customer.id,
            "amount": 500,
            "currency": "usd",
            "description": "Print edition, one-off",
            "metadata": {"order": "42"},
        }
    )
    assert item.id.startswith("ii_")
    assert (item.amount, item.currency, item.quantity, item.invoice) == (500, "usd", 1, None)
    assert item.proration is False
    assert item.discountable is True
    assert item.metadata.to_dict() == {"order": "42"}
    assert moment(stripe_emulator, receiver) == {"invoiceitem.created"}
    assert stripe_client.v1.invoice_items.retrieve(item.id).description == "Print edition, one-off"
    pending = stripe_client.v1.invoice_items.list(params={"customer": customer.id, "pending": True})
    assert [i.id for i in pending.data] == [item.id]

    past_renewal(stripe_emulator, sub)
    invoice = latest_invoice(stripe_client, sub)
    assert invoice.billing_reason == "subscription_cycle"
    assert (invoice.total, invoice.amount_paid) == (999 + 500, 999 + 500)
    line = item_line(invoice, item.id)
    assert line.parent.type == "invoice_item_details"
    assert (line.amount, line.description) == (500, "Print edition, one-off")
    assert stripe_client.v1.invoice_items.retrieve(item.id).invoice == invoice.id
    on_invoice = stripe_client.v1.invoice_items.list(params={"invoice": invoice.id})
    assert [i.id for i in on_invoice.data] == [item.id]
    assert stripe_client.v1.invoice_items.list(params={"pending": True}).data == []


def test_pricing_price_and_quantity(stripe_client, price):
    # https://docs.stripe.com/api/invoiceitems/create#create_invoiceitem-pricing-price
    customer, _ = customer_with_card(stripe_client)
    one_time = stripe_client.v1.prices.create(
        params={"product": price.product, "currency": "usd", "unit_amount": 250}
    )
    item = stripe_client.v1.invoice_items.create(
        params={"customer": customer.id, "pricing": {"price": one_time.id}, "quantity": 3}
    )
    assert (item.amount, item.quantity, item.currency) == (750, 3, "usd")
    assert item.pricing.price_details.price == one_time.id


def test_an_item_for_one_subscription_waits_for_that_subscriptions_invoice(
    stripe_emulator, stripe_client, price, yearly_price
):
    # https://docs.stripe.com/api/invoiceitems/create#create_invoiceitem-subscription
    customer, _ = customer_with_card(stripe_client)
    monthly = subscribe(stripe_client, customer, price)
    yearly = subscribe(stripe_client, customer, yearly_price)
    item = stripe_client.v1.invoice_items.create(
        params={
            "customer": customer.id,
            "amount": 300,
            "currency": "usd",
            "subscription": yearly.id,
        }
    )
    assert item.parent.subscription_details.subscription == yearly.id

    past_renewal(stripe_emulator, monthly)  # the monthly renews; the yearly does not
    assert item_line(latest_invoice(stripe_client, monthly), item.id) is None
    assert stripe_client.v1.invoice_items.retrieve(item.id).invoice is None


def test_prorations_are_invoice_items(stripe_emulator, stripe_client, price, receiver):
    # https://docs.stripe.com/billing/subscriptions/prorations (prorations are invoice items)
    customer, _ = customer_with_card(stripe_client)
    sub = subscribe(stripe_client, customer, price)
    moment(stripe_emulator, receiver)
    stripe_client.v1.subscriptions.update(
        sub.id, params={"items": [{"id": sub["items"].data[0].id, "quantity": 2}]}
    )
    assert "invoiceitem.created" in moment(stripe_emulator, receiver)
    items = stripe_client.v1.invoice_items.list(params={"customer": customer.id}).data
    assert items
    assert all(i.proration and i.id.startswith("ii_") for i in items)
    assert {i.parent.subscription_details.subscription for i in items} == {sub.id}
    assert all(i.invoice is None for i in items)

    past_renewal(stripe_emulator, sub)
    invoice = latest_invoice(stripe_client, sub)
    assert invoice.total == 2 * 999 + sum(i.amount for i in items)
    for item in items:
        assert stripe_client.v1.invoice_items.retrieve(item.id).invoice == invoice.id
        assert item_line(invoice, item.id).parent.subscription_item_details.proration is True


def test_pending_items_can_be_updated_and_deleted(stripe_emulator, stripe_client, price, receiver):
    # https://docs.stripe.com/api/invoiceitems/update , https://docs.stripe.com/api/invoiceitems/delete
    customer, _ = customer_with_card(stripe_client)
    sub = subscribe(stripe_client, customer, price)
    kept = stripe_client.v1.invoice_items.create(
        params={"customer": customer.id, "amount": 100, "currency": "usd"}
    )
    kept = stripe_client.v1.invoice_items.update(
        kept.id, params={"amount": 150, "description": "Late fee"}
    )
    assert (kept.amount, kept.description) == (150, "Late fee")
    dropped = stripe_client.v1.invoice_items.create(
        params={"customer": customer.id, "amount": 700, "currency": "usd"}
    )
    moment(stripe_emulator, receiver)
    deleted = stripe_client.v1.invoice_items.delete(dropped.id)
    assert deleted.deleted is True
    assert moment(stripe_emulator, receiver) == {"invoiceitem.deleted"}
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoice_items.retrieve(dropped.id)
    assert caught.value.http_status == 404

    past_renewal(stripe_emulator, sub)
    invoice = latest_invoice(stripe_client, sub)
    assert invoice.total == 999 + 150
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.invoice_items.update(kept.id, params={"amount": 1})
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.invoice_items.delete(kept.id)


def test_a_deleted_proration_item_leaves_the_next_invoice(stripe_emulator, stripe_client, price):
    # https://docs.stripe.com/api/invoiceitems/delete (pending items only)
    customer, _ = customer_with_card(stripe_client)
    sub = subscribe(stripe_client, customer, price)
    stripe_client.v1.subscriptions.update(
        sub.id, params={"items": [{"id": sub["items"].data[0].id, "quantity": 2}]}
    )
    for item in stripe_client.v1.invoice_items.list(params={"customer": customer.id}).data:
        stripe_client.v1.invoice_items.delete(item.id)
    past_renewal(stripe_emulator, sub)
    assert latest_invoice(stripe_client, sub).total == 2 * 999


def test_an_item_on_a_draft_invoice(stripe_emulator, stripe_client, price):
    # https://docs.stripe.com/api/invoiceitems/create#create_invoiceitem-invoice
    customer, _ = customer_with_card(stripe_client)
    sub = subscribe(stripe_client, customer, price)
    stripe_client.v1.subscriptions.update(
        sub.id, params={"pause_collection": {"behavior": "keep_as_draft"}}
    )
    past_renewal(stripe_emulator, sub)
    draft = latest_invoice(stripe_client, sub)
    assert draft.status == "draft"
    item = stripe_client.v1.invoice_items.create(
        params={"customer": customer.id, "amount": 200, "currency": "usd", "invoice": draft.id}
    )
    assert item.invoice == draft.id
    draft = stripe_client.v1.invoices.retrieve(draft.id)
    assert draft.total == 999 + 200
    assert item_line(draft, item.id).amount == 200


def test_refused_as_stripe_refuses(stripe_client, price):
    # https://docs.stripe.com/api/invoiceitems/create
    customer, _ = customer_with_card(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoice_items.create(params={"amount": 100, "currency": "usd"})
    assert (caught.value.code, caught.value.param) == ("parameter_missing", "customer")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoice_items.create(params={"customer": customer.id, "amount": 100})
    assert caught.value.param == "currency"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoice_items.create(params={"customer": "cus_nope", "amount": 1})
    assert caught.value.code == "resource_missing"


def test_the_list_pages(stripe_client):
    # https://docs.stripe.com/api/invoiceitems/list
    customer, _ = customer_with_card(stripe_client)
    ids = [
        stripe_client.v1.invoice_items.create(
            params={"customer": customer.id, "amount": n, "currency": "usd"}
        ).id
        for n in (1, 2, 3)
    ]
    page = stripe_client.v1.invoice_items.list(params={"customer": customer.id, "limit": 2})
    assert [i.id for i in page.data] == ids[::-1][:2]
    assert page.has_more is True
    rest = stripe_client.v1.invoice_items.list(
        params={"customer": customer.id, "starting_after": page.data[-1].id}
    )
    assert [i.id for i in rest.data] == ids[:1]


# https://docs.stripe.com/api/invoiceitems/create#create_invoiceitem-currency
# https://docs.stripe.com/api/customers/object#customer_object-currency
def test_an_item_in_another_currency_than_the_customers_live_one_is_refused(stripe_client, price):
    customer, _ = customer_with_card(stripe_client)
    subscribe(stripe_client, customer, price)  # the customer's currency is now usd
    with pytest.raises(stripe.InvalidRequestError, match="cannot combine currencies"):
        stripe_client.v1.invoice_items.create(
            params={"customer": customer.id, "amount": 100, "currency": "eur"}
        )
    item = stripe_client.v1.invoice_items.create(
        params={"customer": customer.id, "amount": 100, "currency": "usd"}
    )
    assert item.currency == "usd"
