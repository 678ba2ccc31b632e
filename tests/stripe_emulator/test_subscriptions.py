"""Subscriptions and the invoices, payment intents and refunds they create."""

from __future__ import annotations

import pytest
import stripe  # noqa: TID251 - the emulator is tested through the official SDK

from stripe_emulator.pytest_plugin import ControlError
from tests.helpers.stripe_emulator import customer_with_card, monthly_price

DAY = 86400


def _period(sub):
    item = sub["items"].data[0]
    return item.current_period_start, item.current_period_end


def test_trial_without_card(stripe_emulator, stripe_client, price):
    customer = stripe_client.v1.customers.create(params={"email": "t@example.com"})
    sub = stripe_client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price.id}],
            "trial_period_days": 30,
            "trial_settings": {"end_behavior": {"missing_payment_method": "pause"}},
            "metadata": {"user_id": "7"},
            "expand": ["latest_invoice"],
        }
    )
    now = stripe_emulator.clock()
    assert sub.status == "trialing"
    assert abs(sub.trial_start - now) <= 2
    assert sub.trial_end == sub.trial_start + 30 * DAY
    assert _period(sub) == (sub.trial_start, sub.trial_end)
    assert sub["items"].data[0].price.id == price.id
    assert sub["items"].data[0].plan.amount == 999
    assert sub.trial_settings.end_behavior.missing_payment_method == "pause"
    assert sub.metadata.to_dict() == {"user_id": "7"}
    assert sub.cancel_at_period_end is False
    assert sub.canceled_at is None
    assert sub.ended_at is None
    assert sub.pending_setup_intent.startswith("seti_")
    invoice = sub.latest_invoice
    assert (invoice.status, invoice.amount_due, invoice.amount_paid) == ("paid", 0, 0)
    assert invoice.billing_reason == "subscription_create"
    assert invoice.lines.data[0].description == "Trial period for Gold"
    assert invoice.parent.subscription_details.subscription == sub.id
    assert invoice.number.startswith(customer.invoice_prefix + "-")


def test_trial_end_timestamp(stripe_emulator, stripe_client, price):
    customer, _pm = customer_with_card(stripe_client)
    trial_end = stripe_emulator.clock() + 10 * DAY
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}], "trial_end": trial_end}
    )
    assert sub.status == "trialing"
    assert sub.trial_end == trial_end
    assert sub.pending_setup_intent is None
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.subscriptions.create(
            params={
                "customer": customer.id,
                "items": [{"price": price.id}],
                "trial_end": stripe_emulator.clock() - 10,
            }
        )
    assert caught.value.param == "trial_end"


def test_no_trial_charges_the_first_invoice_at_once(stripe_client, price):
    customer, pm = customer_with_card(stripe_client)
    sub = stripe_client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price.id}],
            "default_payment_method": pm.id,
            "payment_behavior": "allow_incomplete",
            "expand": ["latest_invoice.payments.data.payment.payment_intent"],
        }
    )
    assert sub.status == "active"
    assert sub.default_payment_method == pm.id
    start, end = _period(sub)
    assert 28 * DAY <= end - start <= 31 * DAY
    invoice = sub.latest_invoice
    assert invoice.status == "paid"
    assert (invoice.amount_due, invoice.amount_paid, invoice.currency) == (999, 999, "usd")
    assert invoice.hosted_invoice_url.startswith("https://")
    assert invoice.status_transitions.paid_at is not None
    pi = invoice.payments.data[0].payment.payment_intent
    assert pi.status == "succeeded"
    assert pi.amount_received == 999
    charge = stripe_client.v1.charges.retrieve(pi.latest_charge)
    assert charge.paid is True
    assert charge.payment_method_details.card.fingerprint == pm.card.fingerprint


def test_first_invoice_declined_leaves_subscription_incomplete(stripe_client, price):
    customer, _pm = customer_with_card(stripe_client, "pm_card_chargeCustomerFail")
    sub = stripe_client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price.id}],
            "expand": ["latest_invoice.payments.data.payment.payment_intent"],
        }
    )
    assert sub.status == "incomplete"
    invoice = sub.latest_invoice
    assert (invoice.status, invoice.attempt_count, invoice.attempted) == ("open", 1, True)
    pi = invoice.payments.data[0].payment.payment_intent
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.decline_code == "generic_decline"

    # A new card and a pay call bring it to active.
    good = stripe_client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    paid = stripe_client.v1.invoices.pay(invoice.id, params={"payment_method": good.id})
    assert paid.status == "paid"
    assert paid.attempt_count == 2
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "active"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.invoices.pay(invoice.id)


def test_invoice_pay_with_declining_card_raises_card_error(stripe_client, price):
    customer, _ = customer_with_card(stripe_client, "pm_card_chargeCustomerFail")
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    with pytest.raises(stripe.CardError) as caught:
        stripe_client.v1.invoices.pay(sub.latest_invoice)
    assert caught.value.code == "card_declined"
    assert stripe_client.v1.invoices.retrieve(sub.latest_invoice).attempt_count == 2


def test_authentication_card_gives_requires_action_with_client_secret(stripe_client, price):
    customer, _pm = customer_with_card(stripe_client, "pm_card_authenticationRequired")
    sub = stripe_client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price.id}],
            "expand": ["latest_invoice.payments.data.payment.payment_intent"],
        }
    )
    assert sub.status == "incomplete"
    invoice = sub.latest_invoice
    pi = invoice.payments.data[0].payment.payment_intent
    assert pi.status == "requires_action"
    assert pi.next_action.type == "use_stripe_sdk"
    assert pi.client_secret.startswith(pi.id + "_secret_")
    assert invoice.confirmation_secret.client_secret == pi.client_secret


def test_error_if_incomplete_creates_nothing(stripe_client, price):
    customer, _ = customer_with_card(stripe_client, "pm_card_chargeCustomerFail")
    with pytest.raises(stripe.CardError) as caught:
        stripe_client.v1.subscriptions.create(
            params={
                "customer": customer.id,
                "items": [{"price": price.id}],
                "payment_behavior": "error_if_incomplete",
            }
        )
    assert caught.value.code == "card_declined"
    subs = stripe_client.v1.subscriptions.list(params={"customer": customer.id, "status": "all"})
    assert subs.data == []


def test_default_incomplete_waits_for_confirmation(stripe_client, price):
    customer = stripe_client.v1.customers.create(params={})
    sub = stripe_client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price.id}],
            "payment_behavior": "default_incomplete",
            "expand": ["latest_invoice"],
        }
    )
    assert sub.status == "incomplete"
    assert sub.latest_invoice.status == "open"
    assert sub.latest_invoice.confirmation_secret.client_secret
    pi_id = sub.latest_invoice.payments.data[0].payment.payment_intent
    pm = stripe_client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    pi = stripe_client.v1.payment_intents.confirm(pi_id, params={"payment_method": pm.id})
    assert pi.status == "succeeded"
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "active"


def test_no_card_and_no_trial_is_refused(stripe_client, price):
    customer = stripe_client.v1.customers.create(params={})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.subscriptions.create(
            params={"customer": customer.id, "items": [{"price": price.id}]}
        )
    assert "no attached payment source" in caught.value.user_message


def test_inactive_or_one_time_price_is_refused(stripe_client, price):
    customer, _ = customer_with_card(stripe_client)
    stripe_client.v1.prices.update(price.id, params={"active": False})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.subscriptions.create(
            params={"customer": customer.id, "items": [{"price": price.id}]}
        )
    assert caught.value.param == "items[0][price]"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.subscriptions.create(
            params={"customer": customer.id, "items": [{"price": "price_missing"}]}
        )
    assert caught.value.param == "items[0][price]"


def test_cancel_at_period_end_and_undo(stripe_emulator, stripe_client, price):
    customer, _ = customer_with_card(stripe_client)
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    pending = stripe_client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True})
    assert pending.cancel_at_period_end is True
    assert pending.status == "active"
    assert abs(pending.canceled_at - stripe_emulator.clock()) <= 2
    assert pending.cancel_at == _period(sub)[1]
    undone = stripe_client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": False})
    assert undone.cancel_at_period_end is False
    assert undone.canceled_at is None
    events = stripe_client.v1.events.list(params={"type": "customer.subscription.updated"})
    latest = events.data[0]
    assert latest.data.object.id == sub.id
    assert latest.data.previous_attributes.cancel_at_period_end is True
    assert latest.request.id == undone.last_response.request_id


def test_extend_and_end_trial(stripe_emulator, stripe_client, price):
    customer, _ = customer_with_card(stripe_client)
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}], "trial_period_days": 30}
    )
    later = sub.trial_end + 7 * DAY
    extended = stripe_client.v1.subscriptions.update(sub.id, params={"trial_end": later})
    assert extended.trial_end == later
    assert _period(extended)[1] == later
    ended = stripe_client.v1.subscriptions.update(
        sub.id, params={"trial_end": "now", "expand": ["latest_invoice"]}
    )
    assert ended.status == "active"
    assert ended.trial_end <= stripe_emulator.clock()
    assert ended.latest_invoice.status == "paid"
    assert ended.latest_invoice.amount_paid == 999
    start, _end = _period(ended)
    assert start == ended.trial_end
    types = [e.type for e in stripe_client.v1.events.list(params={"limit": 100}).data]
    assert "customer.subscription.trial_will_end" in types


@pytest.mark.parametrize(
    ("behavior", "status"),
    [("pause", "paused"), ("cancel", "canceled"), ("create_invoice", "past_due")],
)
def test_trial_end_without_card_follows_end_behavior(stripe_client, price, behavior, status):
    customer = stripe_client.v1.customers.create(params={})
    sub = stripe_client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price.id}],
            "trial_period_days": 30,
            "trial_settings": {"end_behavior": {"missing_payment_method": behavior}},
        }
    )
    ended = stripe_client.v1.subscriptions.update(sub.id, params={"trial_end": "now"})
    assert ended.status == status


def test_resume_a_paused_subscription(stripe_client, price):
    customer = stripe_client.v1.customers.create(params={})
    sub = stripe_client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price.id}],
            "trial_period_days": 30,
            "trial_settings": {"end_behavior": {"missing_payment_method": "pause"}},
        }
    )
    paused = stripe_client.v1.subscriptions.update(sub.id, params={"trial_end": "now"})
    assert paused.status == "paused"
    pm = stripe_client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    stripe_client.v1.subscriptions.update(sub.id, params={"default_payment_method": pm.id})
    resumed = stripe_client.v1.subscriptions.resume(sub.id, params={"expand": ["latest_invoice"]})
    # Stripe finalizes the resumption invoice without attempting it in this call.
    assert resumed.latest_invoice.status == "open"
    assert resumed.status == "paused"
    stripe_client.v1.invoices.pay(resumed.latest_invoice.id)
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "active"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.subscriptions.resume(sub.id)


def _paused(stripe_client, price, card=None):
    customer = stripe_client.v1.customers.create(params={})
    sub = stripe_client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price.id}],
            "trial_period_days": 30,
            "trial_settings": {
                "end_behavior": {"missing_payment_method": "pause", "billing_cycle_anchor": "now"}
            },
        }
    )
    paused = stripe_client.v1.subscriptions.update(sub.id, params={"trial_end": "now"})
    assert paused.status == "paused"
    assert paused.status_details.paused.subscription.type == "trial_end_without_payment_method"
    if card:
        pm = stripe_client.v1.payment_methods.attach(card, params={"customer": customer.id})
        stripe_client.v1.subscriptions.update(sub.id, params={"default_payment_method": pm.id})
    return sub


def test_resume_on_payment_success_charges_in_the_request(stripe_client, price):
    sub = _paused(stripe_client, price, "pm_card_visa")
    resumed = stripe_client.v1.subscriptions.resume(
        sub.id,
        params={"payment_behavior": "resume_on_payment_success", "expand": ["latest_invoice"]},
    )
    assert resumed.status == "active"
    assert resumed.status_details is None
    assert resumed.latest_invoice.status == "paid"
    types = [e.type for e in stripe_client.v1.events.list(params={"limit": 100}).data]
    assert "customer.subscription.resumed" in types
    assert "customer.subscription.paused" in types


def test_resume_on_payment_success_with_failing_card_stays_paused(stripe_client, price):
    sub = _paused(stripe_client, price, "pm_card_chargeCustomerFail")
    resumed = stripe_client.v1.subscriptions.resume(
        sub.id, params={"payment_behavior": "resume_on_payment_success"}
    )
    assert resumed.status == "paused"


def test_resume_on_payment_attempt_goes_past_due_when_the_attempt_fails(stripe_client, price):
    sub = _paused(stripe_client, price, "pm_card_chargeCustomerFail")
    resumed = stripe_client.v1.subscriptions.resume(
        sub.id, params={"billing_cycle_anchor": {"type": "now"}}
    )
    assert resumed.status == "paused"
    with pytest.raises(stripe.CardError):
        stripe_client.v1.invoices.pay(resumed.latest_invoice)
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "past_due"


def test_list_filters_by_created(stripe_client):
    first = stripe_client.v1.customers.create(params={})
    assert [c.id for c in stripe_client.v1.customers.list(params={"created": first.created}).data]
    later = stripe_client.v1.customers.list(params={"created": {"gt": first.created}}).data
    assert later == []
    up_to = stripe_client.v1.customers.list(params={"created": {"lte": first.created}}).data
    assert [c.id for c in up_to] == [first.id]


def test_price_change_without_proration(stripe_client, price):
    customer, _ = customer_with_card(stripe_client)
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    better = monthly_price(stripe_client, price.product, 1999)
    item = sub["items"].data[0]
    changed = stripe_client.v1.subscriptions.update(
        sub.id,
        params={"items": [{"id": item.id, "price": better.id}], "proration_behavior": "none"},
    )
    assert changed["items"].data[0].price.id == better.id
    assert changed["items"].data[0].id == item.id
    assert changed.latest_invoice == sub.latest_invoice
    assert _period(changed) == _period(sub)


def test_price_change_always_invoice_charges_the_proration(stripe_client, price):
    customer, _ = customer_with_card(stripe_client)
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    better = monthly_price(stripe_client, price.product, 1999)
    changed = stripe_client.v1.subscriptions.update(
        sub.id,
        params={
            "items": [{"id": sub["items"].data[0].id, "price": better.id}],
            "proration_behavior": "always_invoice",
            "expand": ["latest_invoice"],
        },
    )
    invoice = changed.latest_invoice
    assert invoice.id != sub.latest_invoice
    assert invoice.billing_reason == "subscription_update"
    assert invoice.status == "paid"
    # Almost a whole period left: about 19.99 - 9.99.
    assert 990 <= invoice.amount_paid <= 1000
    assert all(line.parent.subscription_item_details.proration for line in invoice.lines.data)


def test_interval_change_starts_a_new_period_and_charges(stripe_client, price, yearly_price):
    customer, _ = customer_with_card(stripe_client)
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    changed = stripe_client.v1.subscriptions.update(
        sub.id,
        params={
            "items": [{"id": sub["items"].data[0].id, "price": yearly_price.id}],
            "expand": ["latest_invoice"],
        },
    )
    start, end = _period(changed)
    assert 365 * DAY <= end - start <= 366 * DAY
    assert changed.latest_invoice.status == "paid"
    assert 9990 - 1000 <= changed.latest_invoice.amount_paid <= 9990


def test_cancel_now_with_prorate_and_invoice_now_credits_the_customer(stripe_client, price):
    customer, _ = customer_with_card(stripe_client)
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    canceled = stripe_client.v1.subscriptions.cancel(
        sub.id,
        params={
            "invoice_now": True,
            "prorate": True,
            "cancellation_details": {"comment": "too expensive"},
        },
    )
    assert canceled.status == "canceled"
    assert canceled.canceled_at is not None
    assert canceled.ended_at == canceled.canceled_at
    assert canceled.cancellation_details.reason == "cancellation_requested"
    assert canceled.cancellation_details.comment == "too expensive"
    assert stripe_client.v1.customers.retrieve(customer.id).balance < 0
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True})
    meta = stripe_client.v1.subscriptions.update(sub.id, params={"metadata": {"a": "b"}})
    assert meta.metadata.to_dict() == {"a": "b"}
    deleted = stripe_client.v1.events.list(params={"type": "customer.subscription.deleted"})
    assert deleted.data[0].data.object.id == sub.id


def test_cancel_now_defaults_to_no_proration(stripe_client, price):
    customer, _ = customer_with_card(stripe_client)
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    canceled = stripe_client.v1.subscriptions.cancel(sub.id)
    assert canceled.status == "canceled"
    assert stripe_client.v1.customers.retrieve(customer.id).balance == 0
    invoices = stripe_client.v1.invoices.list(params={"customer": customer.id}).data
    assert len(invoices) == 1


def test_update_default_payment_method(stripe_client, price):
    customer, _pm = customer_with_card(stripe_client)
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}], "trial_period_days": 3}
    )
    other = stripe_client.v1.payment_methods.attach(
        "pm_card_mastercard", params={"customer": customer.id}
    )
    updated = stripe_client.v1.subscriptions.update(
        sub.id, params={"default_payment_method": other.id}
    )
    assert updated.default_payment_method == other.id
    stranger = stripe_client.v1.payment_methods.retrieve("pm_card_visa")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.subscriptions.update(
            sub.id, params={"default_payment_method": stranger.id}
        )
    assert caught.value.param == "default_payment_method"


def test_list_by_customer_and_status(stripe_client, price):
    customer, _ = customer_with_card(stripe_client)
    trial = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}], "trial_period_days": 5}
    )
    paid = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    gone = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    stripe_client.v1.subscriptions.cancel(gone.id)
    other, _ = customer_with_card(stripe_client)
    stripe_client.v1.subscriptions.create(
        params={"customer": other.id, "items": [{"price": price.id}]}
    )

    def ids(**params):
        return [s.id for s in stripe_client.v1.subscriptions.list(params=params).data]

    assert ids(customer=customer.id) == [paid.id, trial.id]
    assert ids(customer=customer.id, status="trialing") == [trial.id]
    assert ids(customer=customer.id, status="active") == [paid.id]
    assert ids(customer=customer.id, status="canceled") == [gone.id]
    assert ids(customer=customer.id, status="all") == [gone.id, paid.id, trial.id]
    assert len(ids()) == 3


def test_invoices_list_and_retrieve(stripe_client, price):
    customer, _ = customer_with_card(stripe_client)
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    listed = stripe_client.v1.invoices.list(params={"customer": customer.id})
    assert [i.id for i in listed.data] == [sub.latest_invoice]
    by_sub = stripe_client.v1.invoices.list(params={"subscription": sub.id})
    assert [i.id for i in by_sub.data] == [sub.latest_invoice]
    invoice = stripe_client.v1.invoices.retrieve(sub.latest_invoice)
    assert invoice.period_start <= invoice.period_end
    assert invoice.created > 0
    assert invoice.lines.data[0].period.end - invoice.lines.data[0].period.start > 27 * DAY
    assert stripe_client.v1.invoices.list(params={"status": "open"}).data == []


def test_refund_an_invoice_payment(stripe_client, price):
    customer, _ = customer_with_card(stripe_client)
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    invoice = stripe_client.v1.invoices.retrieve(sub.latest_invoice)
    pi_id = invoice.payments.data[0].payment.payment_intent
    part = stripe_client.v1.refunds.create(params={"payment_intent": pi_id, "amount": 300})
    assert (part.status, part.amount, part.payment_intent) == ("succeeded", 300, pi_id)
    rest = stripe_client.v1.refunds.create(params={"charge": part.charge})
    assert rest.amount == 699
    charge = stripe_client.v1.charges.retrieve(part.charge)
    assert (charge.amount_refunded, charge.refunded) == (999, True)
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.refunds.create(params={"payment_intent": pi_id})
    assert stripe_client.v1.refunds.retrieve(part.id).amount == 300
    assert len(stripe_client.v1.refunds.list(params={"payment_intent": pi_id}).data) == 2


def test_events_record_changes(stripe_client, price):
    customer, _ = customer_with_card(stripe_client)
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    events = stripe_client.v1.events.list(params={"limit": 100}).data
    types = [e.type for e in events]
    for expected in (
        "customer.created",
        "payment_method.attached",
        "customer.updated",
        "customer.subscription.created",
        "invoice.created",
        "invoice.finalized",
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
        "invoice.paid",
        "invoice.payment_succeeded",
    ):
        assert expected in types
    assert "customer.subscription.updated" not in types
    first = stripe_client.v1.events.retrieve(events[-1].id)
    assert first.type == "price.created" or first.type == "product.created"
    assert first.api_version == "2026-10-28.endive"
    updated = next(e for e in events if e.type == "customer.updated")
    assert updated.data.previous_attributes.invoice_settings.default_payment_method is None
    created = next(e for e in events if e.type == "customer.subscription.created")
    assert created.data.object.status == "active"
    assert created.data.object.latest_invoice == sub.latest_invoice
    assert "previous_attributes" not in created.data.to_dict()
    order = [e.type for e in reversed(events)]
    assert order.index("customer.subscription.created") < order.index("invoice.created")


def test_webhook_endpoints(stripe_client):
    endpoint = stripe_client.v1.webhook_endpoints.create(
        params={
            "url": "https://example.com/hooks",
            "enabled_events": ["customer.subscription.updated", "invoice.paid"],
        }
    )
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.status == "enabled"
    fetched = stripe_client.v1.webhook_endpoints.retrieve(endpoint.id)
    assert fetched.secret is None
    assert [e.id for e in stripe_client.v1.webhook_endpoints.list().data] == [endpoint.id]
    customer = stripe_client.v1.customers.create(params={})
    stripe_client.v1.customers.update(customer.id, params={"name": "x"})
    events = stripe_client.v1.events.list().data
    assert all(e.pending_webhooks == 0 for e in events)
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.webhook_endpoints.create(
            params={"url": "https://example.com", "enabled_events": ["made.up"]}
        )
    assert stripe_client.v1.webhook_endpoints.delete(endpoint.id).deleted is True
    assert stripe_client.v1.webhook_endpoints.list().data == []


def test_test_clocks(stripe_client, price):
    clock = stripe_client.v1.test_helpers.test_clocks.create(
        params={"frozen_time": 1_767_225_600, "name": "jan"}
    )
    assert (clock.status, clock.frozen_time, clock.name) == ("ready", 1_767_225_600, "jan")
    assert clock.object == "test_helpers.test_clock"
    assert stripe_client.v1.test_helpers.test_clocks.retrieve(clock.id).id == clock.id
    customer, _ = customer_with_card(stripe_client, test_clock=clock.id)
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}], "trial_period_days": 30}
    )
    assert sub.test_clock == clock.id
    assert sub.trial_start == 1_767_225_600
    assert stripe_client.v1.subscriptions.list().data == []
    assert stripe_client.v1.invoices.list().data == []
    deleted = stripe_client.v1.test_helpers.test_clocks.delete(clock.id)
    assert deleted.deleted is True
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "canceled"
    assert stripe_client.v1.customers.retrieve(customer.id).deleted is True
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.test_helpers.test_clocks.retrieve(clock.id)


def test_paying_an_invoice_that_needs_3ds_is_a_card_error_with_the_payment_intent(
    stripe_client, price
):
    customer, _ = customer_with_card(stripe_client, "pm_card_authenticationRequired")
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    with pytest.raises(stripe.CardError) as caught:
        stripe_client.v1.invoices.pay(sub.latest_invoice)
    assert caught.value.code == "invoice_payment_intent_requires_action"
    body = caught.value.json_body["error"]
    assert body["payment_intent"]["status"] == "requires_action"
    assert body["payment_intent"]["client_secret"]
    with pytest.raises(stripe.CardError) as caught:
        stripe_client.v1.subscriptions.create(
            params={
                "customer": customer.id,
                "items": [{"price": price.id}],
                "payment_behavior": "error_if_incomplete",
            }
        )
    assert caught.value.code == "invoice_payment_intent_requires_action"


def test_completing_3ds_pays_the_first_invoice(stripe_emulator, stripe_client, price):
    customer, _ = customer_with_card(stripe_client, "pm_card_authenticationRequired")
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    invoice = stripe_client.v1.invoices.retrieve(sub.latest_invoice)
    pi_id = invoice.payments.data[0].payment.payment_intent
    assert stripe_emulator.authenticate(pi_id)["status"] == "succeeded"
    assert stripe_client.v1.invoices.retrieve(invoice.id).status == "paid"
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "active"
    with pytest.raises(ControlError) as caught:
        stripe_emulator.authenticate(pi_id)
    assert caught.value.status == 400


def test_failing_3ds_leaves_the_subscription_incomplete(stripe_emulator, stripe_client, price):
    customer, _ = customer_with_card(stripe_client, "pm_card_authenticationRequired")
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    invoice = stripe_client.v1.invoices.retrieve(sub.latest_invoice)
    pi = stripe_emulator.authenticate(invoice.payments.data[0].payment.payment_intent, "fail")
    assert pi["status"] == "requires_payment_method"
    assert pi["last_payment_error"]["code"] == "payment_intent_authentication_failure"
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "incomplete"
    assert stripe_client.v1.invoices.retrieve(invoice.id).status == "open"


def test_card_set_up_with_3ds_is_charged_off_session(stripe_emulator, stripe_client, price):
    customer = stripe_client.v1.customers.create(params={})
    seti = stripe_client.v1.setup_intents.create(
        params={
            "customer": customer.id,
            "payment_method": "pm_card_authenticationRequiredOnSetup",
            "confirm": True,
        }
    )
    assert seti.status == "requires_action"
    done = stripe_emulator.authenticate(seti.id)
    assert done["status"] == "succeeded"
    pm = stripe_client.v1.payment_methods.retrieve(done["payment_method"])
    assert pm.customer == customer.id
    sub = stripe_client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price.id}],
            "default_payment_method": pm.id,
        }
    )
    assert sub.status == "active"


def test_removing_the_last_item_is_refused_without_changing_anything(stripe_client, price):
    customer, _ = customer_with_card(stripe_client)
    sub = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    item = sub["items"].data[0]
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.subscriptions.update(
            sub.id, params={"items": [{"id": item.id, "deleted": True}], "metadata": {"a": "b"}}
        )
    assert caught.value.param == "items"
    after = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert [i.id for i in after["items"].data] == [item.id]
    assert after.metadata.to_dict() == {}


def test_refused_subscription_create_attaches_no_card(stripe_client, price):
    customer = stripe_client.v1.customers.create(params={})
    with pytest.raises(stripe.CardError):
        stripe_client.v1.subscriptions.create(
            params={
                "customer": customer.id,
                "items": [{"price": price.id}],
                "default_payment_method": "pm_card_chargeCustomerFail",
                "payment_behavior": "error_if_incomplete",
            }
        )
    assert stripe_client.v1.payment_methods.list(params={"customer": customer.id}).data == []
    sub = stripe_client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price.id}],
            "default_payment_method": "pm_card_visa",
        }
    )
    assert sub.status == "active"
    attached = stripe_client.v1.payment_methods.list(params={"customer": customer.id}).data
    assert [pm.id for pm in attached] == [sub.default_payment_method]
