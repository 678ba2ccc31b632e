"""Lifecycles in simulated time (LIFECYCLE.md sections 1-4), driven by the SDK, with
every event received by a real endpoint that verifies its signature with the SDK."""

from __future__ import annotations

import json
import time

import pytest
import stripe  # noqa: TID251 - tests drive the emulator through the official SDK

from .conftest import DAY, HOUR, customer_with_card, moment

TRIAL_CREATED = {
    "customer.subscription.created",
    "invoice.created",
    "invoice.finalized",
    "invoice.paid",
    "invoice.payment_succeeded",
}
CHARGED = {
    "invoice.finalized",
    "payment_intent.created",
    "payment_intent.succeeded",
    "charge.succeeded",
    "invoice_payment.paid",
    "invoice.paid",
    "invoice.payment_succeeded",
    "invoice.updated",
}
FAILED_FIRST = {
    "invoice.finalized",
    "payment_intent.created",
    "charge.failed",
    "payment_intent.payment_failed",
    "invoice.payment_failed",
    "invoice.updated",
    "customer.subscription.updated",
}
FAILED_AGAIN = {
    "charge.failed",
    "payment_intent.payment_failed",
    "invoice.payment_failed",
    "invoice.updated",
}


def trial(client, customer, price, days=30, **params):
    return client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price.id}],
            "trial_period_days": days,
            **params,
        }
    )


def latest_invoice(client, sub_id):
    sub = client.v1.subscriptions.retrieve(sub_id, params={"expand": ["latest_invoice"]})
    return sub, sub.latest_invoice


def test_trial_converts_with_a_card(stripe_emulator, stripe_client, price, receiver):
    customer, _ = customer_with_card(stripe_client)
    moment(stripe_emulator, receiver)
    sub = trial(stripe_client, customer, price)
    assert moment(stripe_emulator, receiver) == TRIAL_CREATED
    trial_end = sub.trial_end
    assert sub.status == "trialing"

    # trial_will_end three days before the end, and nothing else. (Margins of a minute:
    # the emulator clock keeps running in real time between calls.)
    stripe_emulator.advance(to=trial_end - 3 * DAY - 60)
    assert moment(stripe_emulator, receiver) == set()
    stripe_emulator.advance(to=trial_end - 3 * DAY)
    assert moment(stripe_emulator, receiver) == {"customer.subscription.trial_will_end"}
    stripe_emulator.advance(to=trial_end - 60)
    assert moment(stripe_emulator, receiver) == set()

    # The trial ends: active at once, a draft invoice for the first period.
    stripe_emulator.advance(to=trial_end)
    stripe_emulator.flush()
    delivered = receiver.take()
    assert {e.type for e in delivered} == {"customer.subscription.updated", "invoice.created"}
    updated = next(e for e in delivered if e.type == "customer.subscription.updated")
    assert updated.data.previous_attributes["status"] == "trialing"
    assert "current_period_end" in updated.data.previous_attributes["items"]["data"][0]
    assert updated.created == trial_end
    sub, invoice = latest_invoice(stripe_client, sub.id)
    assert sub.status == "active"
    item = sub["items"].data[0]
    assert item.current_period_start == trial_end
    assert item.current_period_end > trial_end + 27 * DAY
    assert (invoice.status, invoice.billing_reason) == ("draft", "subscription_cycle")
    assert (invoice.attempted, invoice.auto_advance, invoice.amount_due) == (False, True, 999)

    # About an hour later it is finalized and charged.
    stripe_emulator.advance(to=trial_end + HOUR - 60)
    assert moment(stripe_emulator, receiver) == set()
    stripe_emulator.advance(to=trial_end + HOUR)
    assert moment(stripe_emulator, receiver) == CHARGED
    sub, invoice = latest_invoice(stripe_client, sub.id)
    assert (sub.status, invoice.status, invoice.attempt_count) == ("active", "paid", 1)
    assert invoice.status_transitions.paid_at == trial_end + HOUR


def test_deliveries_are_signed_at_real_time_and_verified_by_the_sdk(
    stripe_emulator, stripe_client, price, receiver
):
    customer, _ = customer_with_card(stripe_client)
    trial(stripe_client, customer, price, days=1)
    stripe_emulator.advance(2 * DAY)  # simulated time now far from real time
    stripe_emulator.flush()
    assert receiver.rejected == []
    headers = [d["header"] for d in receiver.deliveries]
    assert len(headers) >= 10
    now = time.time()
    for header in headers:
        parts = dict(p.split("=", 1) for p in header.split(","))
        assert {"t", "v1", "v0"} <= set(parts)
        assert abs(int(parts["t"]) - now) < 30  # wall-clock, not the emulator's clock
    simulated = max(d["body"]["created"] for d in receiver.deliveries)
    assert simulated > now + DAY
    # A wrong secret is refused by the same SDK check: the signature is really checked.
    delivery = receiver.deliveries[0]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            json.dumps(delivery["body"], indent=2), delivery["header"], "whsec_other"
        )


def test_trial_to_cancellation_after_failed_renewal(
    stripe_emulator, stripe_client, price, receiver
):
    """The whole story: 30-day trial, conversion, a renewal, its charge failing, the three
    retries at 3, 5 and 7 days, then the subscription canceled (the default)."""
    customer, _ = customer_with_card(stripe_client)
    sub = trial(stripe_client, customer, price)
    stripe_emulator.advance(30 * DAY + HOUR)
    sub, invoice = latest_invoice(stripe_client, sub.id)
    assert (sub.status, invoice.status) == ("active", "paid")
    # The card stops working.
    failing = stripe_client.v1.payment_methods.attach(
        "pm_card_chargeCustomerFail", params={"customer": customer.id}
    )
    stripe_client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": failing.id}}
    )
    moment(stripe_emulator, receiver)

    period_end = sub["items"].data[0].current_period_end
    stripe_emulator.advance(to=period_end)
    assert moment(stripe_emulator, receiver) == {"customer.subscription.updated", "invoice.created"}
    sub, invoice = latest_invoice(stripe_client, sub.id)
    assert sub["items"].data[0].current_period_start == period_end
    assert (invoice.status, invoice.billing_reason) == ("draft", "subscription_cycle")

    stripe_emulator.advance(HOUR)
    assert moment(stripe_emulator, receiver) == FAILED_FIRST
    sub, invoice = latest_invoice(stripe_client, sub.id)
    assert (sub.status, invoice.status, invoice.attempt_count) == ("past_due", "open", 1)
    assert invoice.next_payment_attempt == period_end + HOUR + 3 * DAY

    for attempt, wait in ((2, 3), (3, 5)):
        stripe_emulator.advance(wait * DAY)
        assert moment(stripe_emulator, receiver) == FAILED_AGAIN
        sub, invoice = latest_invoice(stripe_client, sub.id)
        assert (sub.status, invoice.attempt_count) == ("past_due", attempt)
        assert invoice.next_payment_attempt - invoice.status_transitions.finalized_at == (
            {2: 8, 3: 15}[attempt] * DAY
        )

    stripe_emulator.advance(7 * DAY)
    assert moment(stripe_emulator, receiver) == FAILED_AGAIN | {"customer.subscription.deleted"}
    sub, invoice = latest_invoice(stripe_client, sub.id)
    assert (invoice.status, invoice.attempt_count) == ("open", 4)
    assert invoice.next_payment_attempt is None
    assert sub.status == "canceled"
    assert sub.cancellation_details.reason == "payment_failed"
    # Nothing more happens afterwards.
    stripe_emulator.advance(60 * DAY)
    assert moment(stripe_emulator, receiver) == set()
