"""Lifecycles in simulated time (docs/emulator-lifecycle.md, trials to cancellations),
driven by the SDK, with every event received by a real endpoint that verifies its
signature with the SDK."""

from __future__ import annotations

import itertools
import json
import time

import pytest
import stripe  # noqa: TID251 - tests drive the emulator through the official SDK

from tests.helpers.stripe_emulator import DAY, HOUR, customer_with_card, moment

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
    stripe_emulator.advance(to=sub.trial_end + HOUR)
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


def test_trial_will_end_at_once_when_less_than_three_days_remain(
    stripe_emulator, stripe_client, price, receiver
):
    customer, _ = customer_with_card(stripe_client)
    moment(stripe_emulator, receiver)
    sub = trial(stripe_client, customer, price, days=2)
    assert moment(stripe_emulator, receiver) == TRIAL_CREATED | {
        "customer.subscription.trial_will_end"
    }
    stripe_emulator.advance(to=sub.trial_end - 60)
    assert moment(stripe_emulator, receiver) == set()  # not sent a second time


def _cardless_trial(client, price, behavior):
    customer = client.v1.customers.create(params={"email": "nocard@example.com"})
    return trial(
        client,
        customer,
        price,
        trial_settings={"end_behavior": {"missing_payment_method": behavior}},
    )


def test_trial_end_without_a_card_cancels(stripe_emulator, stripe_client, price, receiver):
    sub = _cardless_trial(stripe_client, price, "cancel")
    stripe_emulator.advance(to=sub.trial_end - 3 * DAY)
    moment(stripe_emulator, receiver)
    stripe_emulator.advance(to=sub.trial_end)
    assert moment(stripe_emulator, receiver) == {"customer.subscription.deleted"}
    sub, invoice = latest_invoice(stripe_client, sub.id)
    assert sub.status == "canceled"
    assert sub.ended_at == sub.trial_end
    assert invoice.billing_reason == "subscription_create"  # no new invoice
    stripe_emulator.advance(40 * DAY)
    assert moment(stripe_emulator, receiver) == set()


def test_trial_end_without_a_card_pauses_then_resumes(
    stripe_emulator, stripe_client, price, receiver
):
    sub = _cardless_trial(stripe_client, price, "pause")
    stripe_emulator.advance(to=sub.trial_end - 3 * DAY)
    moment(stripe_emulator, receiver)
    stripe_emulator.advance(to=sub.trial_end)
    assert moment(stripe_emulator, receiver) == {
        "customer.subscription.paused",
        "customer.subscription.updated",
    }
    sub, invoice = latest_invoice(stripe_client, sub.id)
    assert sub.status == "paused"
    assert sub.status_details.paused.subscription.type == "trial_end_without_payment_method"
    # Paused: no invoices, no cycling, however long.
    stripe_emulator.advance(70 * DAY)
    assert moment(stripe_emulator, receiver) == set()
    assert latest_invoice(stripe_client, sub.id)[1].id == invoice.id

    # A card, then resume: the resumption invoice is finalized now, charged about an hour
    # later, and that attempt makes the subscription active.
    pm = stripe_client.v1.payment_methods.attach("pm_card_visa", params={"customer": sub.customer})
    stripe_client.v1.subscriptions.update(sub.id, params={"default_payment_method": pm.id})
    moment(stripe_emulator, receiver)
    resumed = stripe_client.v1.subscriptions.resume(sub.id, params={"expand": ["latest_invoice"]})
    now = resumed.latest_invoice.status_transitions.finalized_at
    assert (resumed.status, resumed.latest_invoice.status) == ("paused", "open")
    assert resumed.latest_invoice.next_payment_attempt == now + HOUR
    assert resumed["items"].data[0].current_period_start == now
    assert moment(stripe_emulator, receiver) == {
        "customer.subscription.updated",
        "invoice.created",
        "invoice.finalized",
    }
    stripe_emulator.advance(to=now + HOUR)
    assert moment(stripe_emulator, receiver) == (CHARGED - {"invoice.finalized"}) | {
        "customer.subscription.resumed",
        "customer.subscription.updated",
    }
    sub, invoice = latest_invoice(stripe_client, sub.id)
    assert (sub.status, sub.status_details, invoice.status) == ("active", None, "paid")


def test_trial_end_without_a_card_invoices_and_goes_past_due(
    stripe_emulator, stripe_client, price, receiver
):
    sub = _cardless_trial(stripe_client, price, "create_invoice")
    stripe_emulator.advance(to=sub.trial_end - 3 * DAY)
    moment(stripe_emulator, receiver)
    stripe_emulator.advance(to=sub.trial_end)
    assert moment(stripe_emulator, receiver) == {"customer.subscription.updated", "invoice.created"}
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "active"
    stripe_emulator.advance(to=sub.trial_end + HOUR)
    assert moment(stripe_emulator, receiver) == {
        "invoice.finalized",
        "payment_intent.created",
        "invoice.payment_failed",
        "invoice.updated",
        "customer.subscription.updated",
    }
    sub, invoice = latest_invoice(stripe_client, sub.id)
    assert (sub.status, invoice.status, invoice.attempt_count) == ("past_due", "open", 1)
    assert invoice.amount_due == 999


def test_a_card_added_during_dunning_pays_the_open_invoice(
    stripe_emulator, stripe_client, price, receiver
):
    customer, _ = customer_with_card(stripe_client, "pm_card_chargeCustomerFail")
    sub = trial(stripe_client, customer, price)
    stripe_emulator.advance(to=sub.trial_end + HOUR)
    sub, invoice = latest_invoice(stripe_client, sub.id)
    assert (sub.status, invoice.status, invoice.attempt_count) == ("past_due", "open", 1)
    # The reader adds a working card; it becomes the default and pays the open invoice.
    pm = stripe_client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    stripe_client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": pm.id}}
    )
    moment(stripe_emulator, receiver)
    paid = stripe_client.v1.invoices.pay(invoice.id)
    assert (paid.status, paid.next_payment_attempt) == ("paid", None)
    assert moment(stripe_emulator, receiver) == {
        "charge.succeeded",
        "payment_intent.succeeded",
        "invoice_payment.paid",
        "invoice.paid",
        "invoice.payment_succeeded",
        "invoice.updated",
        "customer.subscription.updated",
    }
    sub = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert sub.status == "active"
    # No retry is left on it.
    stripe_emulator.advance(10 * DAY)
    assert moment(stripe_emulator, receiver) == set()


def test_the_next_retry_uses_a_card_added_during_dunning(
    stripe_emulator, stripe_client, price, receiver
):
    customer, _ = customer_with_card(stripe_client, "pm_card_chargeCustomerFail")
    sub = trial(stripe_client, customer, price)
    stripe_emulator.advance(to=sub.trial_end + HOUR)
    pm = stripe_client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    stripe_client.v1.subscriptions.update(sub.id, params={"default_payment_method": pm.id})
    moment(stripe_emulator, receiver)
    stripe_emulator.advance(3 * DAY)
    events = moment(stripe_emulator, receiver)
    assert {"charge.succeeded", "invoice.paid", "customer.subscription.updated"} <= events
    sub, invoice = latest_invoice(stripe_client, sub.id)
    assert (sub.status, invoice.status, invoice.attempt_count) == ("active", "paid", 2)


def test_after_the_last_retry_the_subscription_can_be_left_unpaid(
    stripe_emulator, stripe_client, price, receiver
):
    stripe_emulator.settings(payment_retry_days=[1, 1], after_retries="unpaid")
    customer, _ = customer_with_card(stripe_client, "pm_card_chargeCustomerFail")
    sub = trial(stripe_client, customer, price, days=5)
    stripe_emulator.advance(to=sub.trial_end + HOUR + DAY)
    moment(stripe_emulator, receiver)
    stripe_emulator.advance(DAY)
    assert moment(stripe_emulator, receiver) == FAILED_AGAIN | {"customer.subscription.updated"}
    sub, first = latest_invoice(stripe_client, sub.id)
    assert (sub.status, first.attempt_count, first.next_payment_attempt) == ("unpaid", 3, None)
    # Unpaid: renewals keep making invoices, left as drafts, never attempted.
    stripe_emulator.advance(to=sub["items"].data[0].current_period_end + 2 * HOUR)
    assert moment(stripe_emulator, receiver) == {"customer.subscription.updated", "invoice.created"}
    sub, renewal = latest_invoice(stripe_client, sub.id)
    assert (sub.status, renewal.status, renewal.auto_advance) == ("unpaid", "draft", False)
    assert stripe_client.v1.invoices.retrieve(first.id).status == "open"


def test_renewals_move_the_item_periods_every_month(
    stripe_emulator, stripe_client, price, receiver
):
    customer, _ = customer_with_card(stripe_client)
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    ends = [sub["items"].data[0].current_period_end]
    for _ in range(3):
        moment(stripe_emulator, receiver)
        stripe_emulator.advance(to=ends[-1] + HOUR)
        assert moment(stripe_emulator, receiver) == CHARGED | {
            "customer.subscription.updated",
            "invoice.created",
        }
        sub, invoice = latest_invoice(stripe_client, sub.id)
        item = sub["items"].data[0]
        assert item.current_period_start == ends[-1]
        assert (invoice.status, invoice.billing_reason) == ("paid", "subscription_cycle")
        assert (invoice.period_start, invoice.period_end) == (
            ends[-2] if len(ends) > 1 else sub.start_date,
            ends[-1],
        )
        assert invoice.lines.data[0].period.start == ends[-1]
        ends.append(item.current_period_end)
    gaps = {round((b - a) / DAY) for a, b in itertools.pairwise(ends)}
    assert gaps <= {28, 29, 30, 31}
    invoices = stripe_client.v1.invoices.list(params={"subscription": sub.id}).data
    assert len(invoices) == 4


def test_cancel_at_period_end_ends_at_the_period_end(
    stripe_emulator, stripe_client, price, receiver
):
    customer, _ = customer_with_card(stripe_client)
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    asked = stripe_client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True})
    period_end = asked["items"].data[0].current_period_end
    stripe_emulator.advance(to=period_end - 60)
    moment(stripe_emulator, receiver)
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "active"
    stripe_emulator.advance(to=period_end)
    assert moment(stripe_emulator, receiver) == {"customer.subscription.deleted"}
    ended = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert (ended.status, ended.cancel_at_period_end) == ("canceled", True)
    assert ended.ended_at == period_end
    assert ended.canceled_at == asked.canceled_at
    assert ended.cancellation_details.reason == "cancellation_requested"
    stripe_emulator.advance(40 * DAY)
    assert moment(stripe_emulator, receiver) == set()


def test_cancel_at_period_end_during_a_trial_ends_it_at_trial_end(
    stripe_emulator, stripe_client, price, receiver
):
    customer, _ = customer_with_card(stripe_client)
    sub = trial(stripe_client, customer, price, cancel_at_period_end=True)
    stripe_emulator.advance(to=sub.trial_end - 60)
    moment(stripe_emulator, receiver)
    stripe_emulator.advance(to=sub.trial_end)
    assert moment(stripe_emulator, receiver) == {"customer.subscription.deleted"}
    ended, invoice = latest_invoice(stripe_client, sub.id)
    assert (ended.status, ended.ended_at) == ("canceled", sub.trial_end)
    assert invoice.billing_reason == "subscription_create"  # never charged


def test_a_renewal_that_needs_authentication(stripe_emulator, stripe_client, price, receiver):
    customer, _ = customer_with_card(stripe_client, "pm_card_authenticationRequired")
    sub = trial(stripe_client, customer, price)
    stripe_emulator.advance(to=sub.trial_end)
    moment(stripe_emulator, receiver)
    stripe_emulator.advance(to=sub.trial_end + HOUR)
    assert moment(stripe_emulator, receiver) == {
        "invoice.finalized",
        "payment_intent.created",
        "payment_intent.requires_action",
        "invoice.payment_action_required",
        "invoice.updated",
        "customer.subscription.updated",
    }
    sub, invoice = latest_invoice(stripe_client, sub.id)
    assert (sub.status, invoice.status) == ("past_due", "open")
    pi_id = invoice.payments.data[0].payment.payment_intent
    assert stripe_client.v1.payment_intents.retrieve(pi_id).status == "requires_action"
    # The reader completes 3DS (Stripe.js): paid, active again.
    stripe_emulator.authenticate(pi_id)
    sub, invoice = latest_invoice(stripe_client, sub.id)
    assert (sub.status, invoice.status) == ("active", "paid")


def test_an_unpaid_first_invoice_expires_the_subscription_after_23_hours(
    stripe_emulator, stripe_client, price, receiver
):
    customer, _ = customer_with_card(stripe_client, "pm_card_chargeCustomerFail")
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    assert sub.status == "incomplete"
    stripe_emulator.advance(to=sub.created + 23 * HOUR - 60)
    moment(stripe_emulator, receiver)
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "incomplete"
    stripe_emulator.advance(to=sub.created + 23 * HOUR)
    assert moment(stripe_emulator, receiver) == {
        "invoice.voided",
        "invoice.updated",
        "customer.subscription.updated",
    }
    sub, invoice = latest_invoice(stripe_client, sub.id)
    assert (sub.status, invoice.status) == ("incomplete_expired", "void")
    assert sub.ended_at == sub.created + 23 * HOUR


def test_pending_prorations_are_collected_when_the_period_end_cancels(
    stripe_emulator, stripe_client, price, receiver
):
    customer, _ = customer_with_card(stripe_client)
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    item = sub["items"].data[0]
    stripe_emulator.advance(10 * DAY)
    stripe_client.v1.subscriptions.update(
        sub.id,
        params={"items": [{"id": item.id, "quantity": 2}], "cancel_at_period_end": True},
    )
    moment(stripe_emulator, receiver)
    stripe_emulator.advance(to=item.current_period_end)
    events = moment(stripe_emulator, receiver)
    assert {"invoice.created", "invoice.paid", "customer.subscription.deleted"} <= events
    sub, invoice = latest_invoice(stripe_client, sub.id)
    assert sub.status == "canceled"
    assert invoice.status == "paid"
    assert all(line.parent.subscription_item_details.proration for line in invoice.lines.data)
    assert invoice.amount_paid > 0
