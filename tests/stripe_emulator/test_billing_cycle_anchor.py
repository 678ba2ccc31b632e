"""A new subscription's billing cycle anchor, through renewals on the emulator clock.

https://docs.stripe.com/billing/subscriptions/billing-cycle : the anchor is a future
moment within one period; until it, proration_behavior create_prorations (the default)
charges a prorated first invoice, none gives that time for free; the first full period
starts at the anchor and renewals follow it (month ends: Jan 31 -> Feb 28 -> Mar 31).
https://docs.stripe.com/billing/subscriptions/trials : a trial combined with an anchor is
a free period, then a prorated period, then the fixed cycle.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime

import pytest
import stripe  # noqa: TID251 - tests drive the emulator through the official SDK

from tests.helpers.stripe_emulator import DAY, customer_with_card, moment
from tests.stripe_time import RENEWAL_DELAY, SLACK, past_renewal, period_end, pin_start

CREATE_DOC = (
    "https://docs.stripe.com/api/subscriptions/create#create_subscription-billing_cycle_anchor"
)


def utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def at(year: int, month: int, day: int) -> int:
    return int(datetime(year, month, day, tzinfo=UTC).timestamp())


def subscribe(client, price, **params):
    customer, _ = customer_with_card(client)
    return client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}], **params}
    )


def invoice_of(client, sub_id):
    sub = client.v1.subscriptions.retrieve(sub_id, params={"expand": ["latest_invoice"]})
    return sub, sub.latest_invoice


def test_first_invoice_is_prorated_up_to_the_anchor_then_full_periods_follow_it(
    stripe_emulator, stripe_client, price, receiver
):
    # https://docs.stripe.com/billing/subscriptions/billing-cycle#new-subscriptions
    start = pin_start(stripe_emulator, 1, 15)  # Jan 15, noon
    year = utc(start).year
    anchor = at(year, 2, 1)
    sub = subscribe(stripe_client, price, billing_cycle_anchor=anchor)
    assert sub.status == "active"
    assert sub.billing_cycle_anchor == anchor
    assert sub["items"].data[0].current_period_end == anchor

    sub, invoice = invoice_of(stripe_client, sub.id)
    line = invoice.lines.data[0]
    # 16.5 of January's 31 days, at 9.99 a month.
    assert invoice.amount_paid == round(999 * (anchor - start) / (31 * DAY)) == 532
    assert line.parent.subscription_item_details.proration is True
    assert (line.period.start, line.period.end) == (sub.start_date, anchor)
    moment(stripe_emulator, receiver)

    past_renewal(stripe_emulator, sub)
    sub, invoice = invoice_of(stripe_client, sub.id)
    assert invoice.billing_reason == "subscription_cycle"
    assert invoice.amount_paid == 999
    assert sub["items"].data[0].current_period_start == anchor
    assert period_end(sub) == at(year, 3, 1)
    assert {"customer.subscription.updated", "invoice.created", "invoice.paid"} <= moment(
        stripe_emulator, receiver
    )
    past_renewal(stripe_emulator, sub)
    sub = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert period_end(sub) == at(year, 4, 1)


def test_a_month_end_anchor_renews_on_each_months_last_day(stripe_emulator, stripe_client, price):
    # https://docs.stripe.com/billing/subscriptions/billing-cycle (January 31 anchor example)
    start = pin_start(stripe_emulator, 1, 15)
    year = utc(start).year
    anchor = at(year, 1, 31)
    sub = subscribe(stripe_client, price, billing_cycle_anchor=anchor)
    past_renewal(stripe_emulator, sub)
    sub = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert period_end(sub) == at(year, 2, calendar.monthrange(year, 2)[1])
    past_renewal(stripe_emulator, sub)
    sub = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert period_end(sub) == at(year, 3, 31)


def test_proration_none_makes_the_time_until_the_anchor_free(stripe_emulator, stripe_client, price):
    # https://docs.stripe.com/billing/subscriptions/billing-cycle#new-subscriptions (none)
    start = pin_start(stripe_emulator, 1, 15)
    anchor = at(utc(start).year, 2, 1)
    sub = subscribe(stripe_client, price, billing_cycle_anchor=anchor, proration_behavior="none")
    sub, invoice = invoice_of(stripe_client, sub.id)
    assert sub.status == "active"
    assert (invoice.status, invoice.total) == ("paid", 0)
    past_renewal(stripe_emulator, sub)
    _, invoice = invoice_of(stripe_client, sub.id)
    assert (invoice.status, invoice.amount_paid) == ("paid", 999)


def test_a_trial_then_a_prorated_period_then_the_anchor(stripe_emulator, stripe_client, price):
    # https://docs.stripe.com/billing/subscriptions/trials#combine-trial-anchor
    start = pin_start(stripe_emulator, 1, 15)
    anchor = at(utc(start).year, 2, 1)
    trial_end = start + 7 * DAY
    sub = subscribe(stripe_client, price, trial_end=trial_end, billing_cycle_anchor=anchor)
    assert sub.status == "trialing"
    assert sub.billing_cycle_anchor == anchor
    assert period_end(sub) == trial_end
    _, invoice = invoice_of(stripe_client, sub.id)
    assert invoice.total == 0

    stripe_emulator.advance(to=trial_end + RENEWAL_DELAY + SLACK)
    sub, invoice = invoice_of(stripe_client, sub.id)
    assert sub.status == "active"
    assert period_end(sub) == anchor
    assert invoice.amount_paid == round(999 * (anchor - trial_end) / (31 * DAY))
    assert invoice.lines.data[0].period.end == anchor

    past_renewal(stripe_emulator, sub)
    sub, invoice = invoice_of(stripe_client, sub.id)
    assert invoice.amount_paid == 999
    assert sub["items"].data[0].current_period_start == anchor


def test_billing_cycle_anchor_config_picks_the_next_such_day(stripe_emulator, stripe_client, price):
    # https://docs.stripe.com/api/subscriptions/create#create_subscription-billing_cycle_anchor_config
    start = pin_start(stripe_emulator, 1, 15)
    sub = subscribe(
        stripe_client, price, billing_cycle_anchor_config={"day_of_month": 1, "hour": 6}
    )
    anchor = at(utc(start).year, 2, 1) + 6 * 3600
    assert sub.billing_cycle_anchor == anchor
    assert sub.billing_cycle_anchor_config.day_of_month == 1
    assert sub.billing_cycle_anchor_config.hour == 6
    assert period_end(sub) == anchor


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"billing_cycle_anchor": -DAY}, "billing_cycle_anchor"),  # in the past
        ({"billing_cycle_anchor": 40 * DAY}, "billing_cycle_anchor"),  # beyond one period
        (
            {"billing_cycle_anchor": 2 * DAY, "trial_end": 5 * DAY},
            "billing_cycle_anchor",
        ),  # before the trial's end
        (
            {"billing_cycle_anchor": DAY, "billing_cycle_anchor_config": {"day_of_month": 1}},
            "billing_cycle_anchor_config",
        ),
        ({"billing_cycle_anchor_config": {"day_of_month": 32}}, None),
    ],
    ids=["past", "beyond-a-period", "before-trial-end", "both", "day-out-of-range"],
)
def test_an_anchor_stripe_refuses(stripe_emulator, stripe_client, price, params, param):
    # CREATE_DOC: a future timestamp; no later than the next natural billing date
    now = stripe_emulator.clock()
    relative = {
        k: now + v if k in ("billing_cycle_anchor", "trial_end") else v for k, v in params.items()
    }
    with pytest.raises(stripe.InvalidRequestError) as caught:
        subscribe(stripe_client, price, **relative)
    assert caught.value.param == (param or "billing_cycle_anchor_config[day_of_month]")
    assert stripe_client.v1.subscriptions.list().data == []


# https://docs.stripe.com/billing/subscriptions/billing-cycle#new-subscriptions
# https://docs.stripe.com/api/subscriptions/create#create_subscription-currency
def test_the_prorated_start_is_in_the_subscriptions_currency(stripe_emulator, stripe_client):
    """A EUR subscription of a price with a EUR option: the time up to the anchor is a
    share of the EUR amount, not of the price's own USD one."""
    product = stripe_client.v1.products.create(params={"name": "Gold"})
    price = stripe_client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount": 999,
            "currency_options": {"eur": {"unit_amount": 1240}},
            "recurring": {"interval": "month"},
        }
    )
    start = pin_start(stripe_emulator, 1, 15)  # Jan 15, noon
    anchor = at(utc(start).year, 2, 1)
    sub = subscribe(stripe_client, price, billing_cycle_anchor=anchor, currency="eur")
    _, invoice = invoice_of(stripe_client, sub.id)
    assert invoice.currency == "eur"
    assert invoice.amount_paid == round(1240 * (anchor - start) / (31 * DAY)) == 660
