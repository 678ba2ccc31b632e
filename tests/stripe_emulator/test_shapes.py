"""Shape fidelity: every object carries the fields the installed SDK declares.

The SDK's resource classes declare their fields as type annotations. For every
resource the emulator serves, walk the object the SDK built from the
emulator's JSON (nested classes included) and fail on any declared field that
is missing. The fields our product reads are also checked for type.
"""

from __future__ import annotations

from typing import Any

import pytest
import stripe  # noqa: TID251 - the shape test reads the SDK's declarations

from tests.helpers.stripe_emulator import customer_with_card
from tests.helpers.stripe_shapes import assert_shape, missing_fields


@pytest.fixture
def world(stripe_emulator, stripe_client, price):
    """One of everything the emulator serves, in the states our flows reach."""
    c = stripe_client
    customer, pm = customer_with_card(c)
    active = c.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    c.v1.subscriptions.update(active.id, params={"cancel_at_period_end": True})
    bare = c.v1.customers.create(params={"email": "trial@example.com"})
    trial = c.v1.subscriptions.create(
        params={"customer": bare.id, "items": [{"price": price.id}], "trial_period_days": 30}
    )
    auth_customer, _ = customer_with_card(c, "pm_card_authenticationRequired")
    needs_action = c.v1.subscriptions.create(
        params={"customer": auth_customer.id, "items": [{"price": price.id}]}
    )
    fail_customer, _ = customer_with_card(c, "pm_card_chargeCustomerFail")
    declined = c.v1.subscriptions.create(
        params={"customer": fail_customer.id, "items": [{"price": price.id}]}
    )
    seti_declined = c.v1.setup_intents.create(params={"customer": bare.id})
    with pytest.raises(stripe.CardError):
        c.v1.setup_intents.confirm(
            seti_declined.id, params={"payment_method": "pm_card_visa_chargeDeclined"}
        )
    seti_action = c.v1.setup_intents.create(
        params={
            "customer": bare.id,
            "payment_method": "pm_card_authenticationRequired",
            "confirm": True,
        }
    )
    paid_invoice = c.v1.invoices.retrieve(active.latest_invoice)
    pi_id = paid_invoice.payments.data[0].payment.payment_intent
    refund = c.v1.refunds.create(params={"payment_intent": pi_id, "amount": 100})
    endpoint = c.v1.webhook_endpoints.create(
        params={"url": "https://example.com/hook", "enabled_events": ["*"]}
    )
    clock = c.v1.test_helpers.test_clocks.create(params={"frozen_time": 1_767_225_600})
    return {
        "customer": customer,
        "pm": pm,
        "price": price,
        "active": active,
        "trial": trial,
        "needs_action": needs_action,
        "declined": declined,
        "seti_declined": seti_declined,
        "seti_action": seti_action,
        "refund": refund,
        "endpoint": endpoint,
        "clock": clock,
        "pi_id": pi_id,
    }


def test_customer_shape(stripe_client, world):
    customer = stripe_client.v1.customers.retrieve(world["customer"].id)
    assert_shape(customer, stripe.Customer)
    assert isinstance(customer.email, str)


def test_product_and_price_shapes(stripe_client, world):
    price = stripe_client.v1.prices.retrieve(world["price"].id)
    assert_shape(price, stripe.Price)
    assert_shape(stripe_client.v1.products.retrieve(price.product), stripe.Product)


def test_payment_method_shape(stripe_client, world):
    pm = stripe_client.v1.payment_methods.retrieve(world["pm"].id)
    assert_shape(pm, stripe.PaymentMethod)
    assert isinstance(pm.card.fingerprint, str)
    assert pm.card.fingerprint


def check_subscription_types(sub: Any) -> None:
    assert isinstance(sub.status, str)
    for field in ("trial_start", "trial_end", "canceled_at", "ended_at"):
        assert getattr(sub, field) is None or isinstance(getattr(sub, field), int), field
    assert isinstance(sub.cancel_at_period_end, bool)
    for item in sub["items"].data:
        assert isinstance(item.current_period_start, int)
        assert isinstance(item.current_period_end, int)
        assert isinstance(item.price, stripe.Price)


@pytest.mark.parametrize("which", ["active", "trial", "needs_action", "declined"])
def test_subscription_shape(stripe_client, world, which):
    sub = stripe_client.v1.subscriptions.retrieve(world[which].id)
    assert_shape(sub, stripe.Subscription)
    check_subscription_types(sub)
    for item in sub["items"].data:
        assert_shape(item, stripe.SubscriptionItem)
        assert_shape(item.plan, stripe.Plan)
    items = stripe_client.v1.subscription_items.list(params={"subscription": sub.id})
    for item in items.data:
        assert_shape(item, stripe.SubscriptionItem)


@pytest.mark.parametrize("which", ["active", "trial", "needs_action", "declined"])
def test_invoice_shape(stripe_client, world, which):
    invoice = stripe_client.v1.invoices.retrieve(world[which].latest_invoice)
    assert_shape(invoice, stripe.Invoice)
    assert isinstance(invoice.number, str)
    for field in ("amount_due", "amount_paid", "period_start", "period_end", "created"):
        assert isinstance(getattr(invoice, field), int), field
    assert isinstance(invoice.currency, str)
    assert isinstance(invoice.status, str)
    assert isinstance(invoice.hosted_invoice_url, str)
    for line in invoice.lines.data:
        assert_shape(line, stripe.InvoiceLineItem)
    for payment in invoice.payments.data:
        assert_shape(payment, stripe.InvoicePayment)
        pi = stripe_client.v1.payment_intents.retrieve(payment.payment.payment_intent)
        assert_shape(pi, stripe.PaymentIntent)
        if pi.latest_charge:
            assert_shape(stripe_client.v1.charges.retrieve(pi.latest_charge), stripe.Charge)
    lines = stripe_client.v1.invoices.line_items.list(invoice.id)
    for line in lines.data:
        assert_shape(line, stripe.InvoiceLineItem)


def test_payment_intent_states_shape(stripe_client, world):
    for which, status in (
        ("needs_action", "requires_action"),
        ("declined", "requires_payment_method"),
    ):
        invoice = stripe_client.v1.invoices.retrieve(world[which].latest_invoice)
        pi = stripe_client.v1.payment_intents.retrieve(
            invoice.payments.data[0].payment.payment_intent
        )
        assert pi.status == status
        assert_shape(pi, stripe.PaymentIntent)


def test_setup_intent_shapes(stripe_client, world):
    sub = stripe_client.v1.subscriptions.retrieve(world["trial"].id)
    for seti_id in (sub.pending_setup_intent, world["seti_declined"].id, world["seti_action"].id):
        assert_shape(stripe_client.v1.setup_intents.retrieve(seti_id), stripe.SetupIntent)


def test_refund_shape(stripe_client, world):
    assert_shape(stripe_client.v1.refunds.retrieve(world["refund"].id), stripe.Refund)


def test_event_shapes(stripe_client, world):
    events = list(stripe_client.v1.events.list(params={"limit": 100}).auto_paging_iter())
    assert {e.type for e in events} >= {"customer.subscription.updated", "invoice.paid"}
    for event in events:
        assert_shape(event, stripe.Event)
        assert_shape(stripe_client.v1.events.retrieve(event.id), stripe.Event)


def test_webhook_endpoint_and_test_clock_shapes(stripe_client, world):
    assert_shape(world["endpoint"], stripe.WebhookEndpoint)
    assert_shape(
        stripe_client.v1.webhook_endpoints.retrieve(world["endpoint"].id), stripe.WebhookEndpoint
    )
    assert_shape(
        stripe_client.v1.test_helpers.test_clocks.retrieve(world["clock"].id),
        stripe.test_helpers.TestClock,
    )


def test_invoice_item_shapes(stripe_emulator, stripe_client, price):
    """A pending item, a proration item, and the invoice lines they become."""
    from tests.stripe_time import past_renewal

    customer, _ = customer_with_card(stripe_client)
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    stripe_client.v1.subscriptions.update(
        sub.id, params={"items": [{"id": sub["items"].data[0].id, "quantity": 2}]}
    )
    stripe_client.v1.invoice_items.create(
        params={"customer": customer.id, "amount": 500, "currency": "usd"}
    )
    items = stripe_client.v1.invoice_items.list(params={"customer": customer.id}).data
    assert {i.proration for i in items} == {True, False}
    for item in items:
        assert_shape(item, stripe.InvoiceItem)
    past_renewal(stripe_emulator, sub)
    invoice = stripe_client.v1.invoices.retrieve(
        stripe_client.v1.invoice_items.retrieve(items[0].id).invoice
    )
    assert {line.parent.type for line in invoice.lines.data} >= {
        "invoice_item_details",
        "subscription_item_details",
    }
    assert_shape(invoice, stripe.Invoice)
    for line in invoice.lines.data:
        assert_shape(line, stripe.InvoiceLineItem)


def test_the_check_itself_catches_a_missing_field():
    """A shape check that could not fail would prove nothing."""
    partial = stripe.Subscription.construct_from({"id": "sub_x", "object": "subscription"}, "k")
    missing = missing_fields(partial, "Subscription")
    assert "Subscription.status (Subscription)" in missing
    assert "Subscription.items (Subscription)" in missing
