"""Test clocks: advancing -> ready, Stripe's limits, and billing on the clock's time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import stripe  # noqa: TID251 - the emulator is tested through the official SDK

from tests.helpers.stripe_emulator import DAY, HOUR, moment

JAN_31 = int(datetime(2026, 1, 31, 12, tzinfo=UTC).timestamp())
FEB_28 = int(datetime(2026, 2, 28, 12, tzinfo=UTC).timestamp())
MAR_31 = int(datetime(2026, 3, 31, 12, tzinfo=UTC).timestamp())


@pytest.fixture
def clock(stripe_client):
    return stripe_client.v1.test_helpers.test_clocks.create(
        params={"frozen_time": JAN_31, "name": "anchor"}
    )


def on_clock(client, clock, price, **params):
    customer = client.v1.customers.create(
        params={
            "test_clock": clock.id,
            "payment_method": "pm_card_visa",
            "invoice_settings": {"default_payment_method": "pm_card_visa"},
        }
    )
    return client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}], **params}
    )


def advance(client, emulator, clock, to):
    started = client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": to})
    assert started.status == "advancing"
    assert started.status_details.advancing.target_frozen_time == to
    emulator.flush()
    done = client.v1.test_helpers.test_clocks.retrieve(clock.id)
    assert (done.status, done.frozen_time) == ("ready", to)
    return done


def test_advancing_renews_on_anchor_aligned_dates(
    stripe_emulator, stripe_client, price, clock, receiver
):
    sub = on_clock(stripe_client, clock, price)
    assert sub.start_date == JAN_31
    assert sub["items"].data[0].current_period_end == FEB_28
    moment(stripe_emulator, receiver)

    advance(stripe_client, stripe_emulator, clock, FEB_28 + 2 * HOUR)
    assert moment(stripe_emulator, receiver) >= {
        "test_helpers.test_clock.advancing",
        "test_helpers.test_clock.ready",
        "customer.subscription.updated",
        "invoice.created",
        "invoice.paid",
    }
    sub = stripe_client.v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice"]})
    item = sub["items"].data[0]
    assert (item.current_period_start, item.current_period_end) == (FEB_28, MAR_31)
    invoice = sub.latest_invoice
    assert invoice.created == FEB_28
    assert invoice.status_transitions.paid_at == FEB_28 + HOUR
    # The billing events carry the clock's time.
    events = stripe_client.v1.events.list(params={"type": "invoice.paid"}).data
    assert events[0].created == FEB_28 + HOUR


def test_the_emulator_clock_leaves_test_clock_objects_alone(
    stripe_emulator, stripe_client, price, clock
):
    sub = on_clock(stripe_client, clock, price)
    stripe_emulator.advance(90 * DAY)
    stripe_emulator.flush()
    again = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert again["items"].data[0].current_period_end == FEB_28
    assert stripe_client.v1.test_helpers.test_clocks.retrieve(clock.id).frozen_time == JAN_31


def test_a_clock_advances_at_most_two_intervals_of_its_shortest_subscription(
    stripe_emulator, stripe_client, price, clock
):
    on_clock(stripe_client, clock, price)
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.test_helpers.test_clocks.advance(
            clock.id, params={"frozen_time": JAN_31 + 70 * DAY}
        )
    assert err.value.param == "frozen_time"
    assert stripe_client.v1.test_helpers.test_clocks.retrieve(clock.id).status == "ready"
    advance(stripe_client, stripe_emulator, clock, JAN_31 + 58 * DAY)


def test_a_clock_without_subscriptions_advances_up_to_two_years_and_only_forward(
    stripe_emulator, stripe_client, clock
):
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.test_helpers.test_clocks.advance(
            clock.id, params={"frozen_time": JAN_31 - 1}
        )
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.test_helpers.test_clocks.advance(
            clock.id, params={"frozen_time": JAN_31 + 731 * DAY}
        )
    advance(stripe_client, stripe_emulator, clock, JAN_31 + 700 * DAY)


def test_a_trial_on_a_clock_follows_the_whole_lifecycle(
    stripe_emulator, stripe_client, price, clock, receiver
):
    sub = on_clock(stripe_client, clock, price, trial_period_days=7)
    assert sub.trial_end == JAN_31 + 7 * DAY
    moment(stripe_emulator, receiver)
    advance(stripe_client, stripe_emulator, clock, JAN_31 + 4 * DAY)
    assert moment(stripe_emulator, receiver) == {
        "test_helpers.test_clock.advancing",
        "test_helpers.test_clock.ready",
        "customer.subscription.trial_will_end",
    }
    advance(stripe_client, stripe_emulator, clock, JAN_31 + 7 * DAY + HOUR)
    sub = stripe_client.v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice"]})
    assert (sub.status, sub.latest_invoice.status) == ("active", "paid")
    assert sub.latest_invoice.billing_reason == "subscription_cycle"
