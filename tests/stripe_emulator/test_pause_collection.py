"""Pausing payment collection on a subscription (`pause_collection`), through renewals.

https://docs.stripe.com/billing/subscriptions/pause-payment : the subscription stays
`active`, renewals still make invoices, Stripe collects nothing; keep_as_draft leaves
them drafts (auto_advance false), mark_uncollectible and void finalize them and mark
them uncollectible / void them; at resumes_at collection resumes by itself.
"""

from __future__ import annotations

import pytest
import stripe  # noqa: TID251 - tests drive the emulator through the official SDK

from tests.helpers.stripe_emulator import DAY, customer_with_card, moment
from tests.stripe_time import past_renewal, period_end

UPDATE_DOC = "https://docs.stripe.com/api/subscriptions/update#update_subscription-pause_collection"


def paid_subscription(client, price):
    customer, _ = customer_with_card(client)
    return client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )


def pause(client, sub, behavior, **more):
    return client.v1.subscriptions.update(
        sub.id, params={"pause_collection": {"behavior": behavior, **more}}
    )


def renewal_invoice(client, sub):
    invoices = client.v1.invoices.list(params={"subscription": sub.id, "limit": 1}).data
    assert invoices[0].billing_reason == "subscription_cycle"
    return invoices[0]


def test_keep_as_draft_leaves_renewals_as_drafts(stripe_emulator, stripe_client, price, receiver):
    # https://docs.stripe.com/billing/subscriptions/pause-payment (keep_as_draft)
    sub = paid_subscription(stripe_client, price)
    moment(stripe_emulator, receiver)
    paused = pause(stripe_client, sub, "keep_as_draft")
    assert paused.status == "active"
    assert paused.pause_collection.behavior == "keep_as_draft"
    assert paused.pause_collection.resumes_at is None
    assert moment(stripe_emulator, receiver) == {"customer.subscription.updated"}

    past_renewal(stripe_emulator, sub)
    stripe_emulator.advance(DAY)  # long after Stripe would have charged it
    invoice = renewal_invoice(stripe_client, sub)
    assert invoice.status == "draft"
    assert invoice.auto_advance is False
    assert invoice.attempt_count == 0
    assert moment(stripe_emulator, receiver) == {
        "customer.subscription.updated",
        "invoice.created",
    }
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "active"


@pytest.mark.parametrize(
    ("behavior", "status", "event"),
    [
        ("mark_uncollectible", "uncollectible", "invoice.marked_uncollectible"),
        ("void", "void", "invoice.voided"),
    ],
)
def test_renewals_are_finalized_then_written_off(
    stripe_emulator, stripe_client, price, receiver, behavior, status, event
):
    # https://docs.stripe.com/billing/subscriptions/pause-payment (mark_uncollectible, void)
    sub = paid_subscription(stripe_client, price)
    pause(stripe_client, sub, behavior)
    moment(stripe_emulator, receiver)

    past_renewal(stripe_emulator, sub)
    invoice = renewal_invoice(stripe_client, sub)
    assert invoice.status == status
    assert invoice.auto_advance is False
    assert invoice.attempt_count == 0
    assert invoice.amount_paid == 0
    assert invoice.status_transitions.finalized_at is not None
    assert moment(stripe_emulator, receiver) == {
        "customer.subscription.updated",
        "invoice.created",
        "invoice.finalized",
        event,
        "invoice.updated",
    }
    renewed = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert renewed.status == "active"
    assert renewed.latest_invoice == invoice.id


def test_resumes_at_resumes_collection_and_the_next_renewal_is_charged(
    stripe_emulator, stripe_client, price, receiver
):
    # https://docs.stripe.com/billing/subscriptions/pause-payment (resumes_at)
    sub = paid_subscription(stripe_client, price)
    first_end = period_end(sub)
    pause(stripe_client, sub, "void", resumes_at=first_end + 2 * DAY)
    past_renewal(stripe_emulator, sub)
    assert renewal_invoice(stripe_client, sub).status == "void"
    moment(stripe_emulator, receiver)

    stripe_emulator.advance(to=first_end + 2 * DAY + 60)
    resumed = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert resumed.pause_collection is None
    stripe_emulator.flush()
    events = receiver.take()
    assert [e.type for e in events] == ["customer.subscription.updated"]
    assert events[0].data.previous_attributes["pause_collection"]["behavior"] == "void"

    past_renewal(stripe_emulator, resumed)
    invoice = renewal_invoice(stripe_client, sub)
    assert invoice.status == "paid"
    assert invoice.amount_paid == price.unit_amount


def test_an_empty_pause_collection_resumes_at_once(stripe_emulator, stripe_client, price):
    # https://docs.stripe.com/billing/subscriptions/pause-payment#unpausing
    sub = paid_subscription(stripe_client, price)
    pause(stripe_client, sub, "keep_as_draft")
    resumed = stripe_client.v1.subscriptions.update(sub.id, params={"pause_collection": ""})
    assert resumed.pause_collection is None
    past_renewal(stripe_emulator, sub)
    assert renewal_invoice(stripe_client, sub).status == "paid"


def test_an_invalid_behavior_is_refused(stripe_client, price):
    # UPDATE_DOC: behavior is one of keep_as_draft, mark_uncollectible, void
    sub = paid_subscription(stripe_client, price)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        pause(stripe_client, sub, "skip")
    assert caught.value.param == "pause_collection[behavior]"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.subscriptions.update(
            sub.id, params={"pause_collection": {"resumes_at": period_end(sub)}}
        )
    assert caught.value.code == "parameter_missing"
    assert caught.value.param == "pause_collection[behavior]"
    assert stripe_client.v1.subscriptions.retrieve(sub.id).pause_collection is None


def test_a_resumes_at_in_the_past_is_refused(stripe_emulator, stripe_client, price):
    # UPDATE_DOC: resumes_at, the time after which the subscription resumes collecting
    sub = paid_subscription(stripe_client, price)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        pause(stripe_client, sub, "void", resumes_at=stripe_emulator.clock() - DAY)
    assert caught.value.param == "pause_collection[resumes_at]"
    assert stripe_client.v1.subscriptions.retrieve(sub.id).pause_collection is None
