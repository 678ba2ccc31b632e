"""Discounts on subscriptions through the official SDK: redemption (`discounts=[{coupon}]`,
`[{promotion_code}]`), every refusal, the amounts on invoice lines, and how long each
coupon duration lasts across renewals and trials. Each test names the Stripe page it
follows; "(I)" marks an inference the page does not spell out."""

from __future__ import annotations

import pytest
import stripe  # noqa: TID251 - the emulator is tested through the official SDK

from tests.helpers.stripe_emulator import DAY, customer_with_card, moment
from tests.helpers.stripe_shapes import assert_shape
from tests.stripe_time import past_renewal, past_trial_end, pin_start


def subscribe(client, customer, *prices, **params):
    return client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": p.id} for p in prices], **params}
    )


def invoice_of(client, sub):
    sub = client.v1.subscriptions.retrieve(sub.id)
    return client.v1.invoices.retrieve(sub.latest_invoice)


def line_discounts(invoice):
    return [[(d.amount, d.discount) for d in line.discount_amounts] for line in invoice.lines.data]


@pytest.fixture
def reader(stripe_client):
    customer, _ = customer_with_card(stripe_client)
    return customer


# https://docs.stripe.com/billing/subscriptions/coupons (apply a coupon to a subscription),
# https://docs.stripe.com/api/discounts/object, https://docs.stripe.com/api/invoices/object
def test_a_percent_coupon_discounts_the_first_invoice_and_the_renewals(
    stripe_client, stripe_emulator, receiver, price, reader
):
    coupon = stripe_client.v1.coupons.create(params={"percent_off": 25, "duration": "forever"})
    sub = subscribe(stripe_client, reader, price, discounts=[{"coupon": coupon.id}])
    assert sub.status == "active"
    [discount_id] = sub.discounts
    assert discount_id.startswith("di_")
    invoice = invoice_of(stripe_client, sub)
    # 25% of 9.99 is 2.4975, rounded to the nearest cent (I: half up).
    assert line_discounts(invoice) == [[(250, discount_id)]]
    assert [(t.amount, t.discount) for t in invoice.total_discount_amounts] == [(250, discount_id)]
    assert invoice.discounts == [discount_id]
    assert invoice.lines.data[0].discounts == []  # a subscription's discount, not the line's
    assert (invoice.subtotal, invoice.total, invoice.amount_paid) == (999, 749, 749)
    pretax = invoice.lines.data[0].pretax_credit_amounts[0]
    assert (pretax.amount, pretax.discount, pretax.type) == (250, discount_id, "discount")

    expanded = stripe_client.v1.subscriptions.retrieve(sub.id, params={"expand": ["discounts"]})
    discount = expanded.discounts[0]
    assert_shape(discount, stripe.Discount)
    assert discount.source.coupon == coupon.id
    assert (discount.customer, discount.subscription) == (reader.id, sub.id)
    assert discount.end is None
    assert discount.promotion_code is None
    assert abs(discount.start - sub.start_date) < 5
    assert stripe_client.v1.coupons.retrieve(coupon.id).times_redeemed == 1
    assert "customer.discount.created" in moment(stripe_emulator, receiver)

    expanded = stripe_client.v1.invoices.retrieve(
        invoice.id,
        params={"expand": ["discounts", "total_discount_amounts.discount"]},
    )
    assert expanded.discounts[0].id == discount_id
    assert expanded.total_discount_amounts[0].discount.source.coupon == coupon.id

    past_renewal(stripe_emulator, sub)
    renewal = invoice_of(stripe_client, sub)
    assert renewal.billing_reason == "subscription_cycle"
    assert (renewal.total, renewal.status) == (749, "paid")
    assert stripe_client.v1.coupons.retrieve(coupon.id).times_redeemed == 1  # once per sub


# https://docs.stripe.com/api/coupons/object (amount_off: "taken off the subtotal");
# spread over the lines in proportion (I), never below zero
def test_an_amount_coupon_is_spread_over_the_lines_and_never_below_zero(
    stripe_client, price, reader
):
    second = stripe_client.v1.prices.create(
        params={
            "product": stripe_client.v1.products.create(params={"name": "Extra"}).id,
            "currency": "usd",
            "unit_amount": 500,
            "recurring": {"interval": "month"},
        }
    )
    six = stripe_client.v1.coupons.create(params={"amount_off": 600, "currency": "usd"})
    sub = subscribe(stripe_client, reader, price, second, discounts=[{"coupon": six.id}])
    invoice = invoice_of(stripe_client, sub)
    [di] = invoice.discounts
    assert line_discounts(invoice) == [[(400, di)], [(200, di)]]
    assert invoice.total == 1499 - 600

    huge = stripe_client.v1.coupons.create(params={"amount_off": 5000, "currency": "usd"})
    other, _ = customer_with_card(stripe_client)
    sub = subscribe(stripe_client, other, price, second, discounts=[{"coupon": huge.id}])
    invoice = invoice_of(stripe_client, sub)
    [di] = invoice.discounts
    assert line_discounts(invoice) == [[(999, di)], [(500, di)]]
    assert (invoice.total, invoice.amount_due, invoice.status) == (0, 0, "paid")


# https://docs.stripe.com/api/coupons/object (currency_options: the amount in each currency)
def test_an_amount_coupon_takes_its_amount_in_the_subscriptions_currency(stripe_client, reader):
    product = stripe_client.v1.products.create(params={"name": "Euro plan"})
    eur = stripe_client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "eur",
            "unit_amount": 1000,
            "recurring": {"interval": "month"},
        }
    )
    coupon = stripe_client.v1.coupons.create(
        params={
            "amount_off": 500,
            "currency": "usd",
            "currency_options": {"eur": {"amount_off": 450}},
        }
    )
    sub = subscribe(stripe_client, reader, eur, discounts=[{"coupon": coupon.id}])
    assert invoice_of(stripe_client, sub).total == 550


# https://docs.stripe.com/api/coupons/object (duration repeating, duration_in_months);
# https://docs.stripe.com/api/discounts/object (end: "the date that the coupon will end")
def test_a_repeating_coupon_ends_after_its_months(
    stripe_client, stripe_emulator, receiver, price, reader
):
    pin_start(stripe_emulator, 3, 15)
    coupon = stripe_client.v1.coupons.create(
        params={"percent_off": 50, "duration": "repeating", "duration_in_months": 2}
    )
    sub = subscribe(stripe_client, reader, price, discounts=[{"coupon": coupon.id}])
    discount = stripe_client.v1.subscriptions.retrieve(
        sub.id, params={"expand": ["discounts"]}
    ).discounts[0]
    period_end = sub["items"].data[0].current_period_end
    assert discount.end == discount.start + (period_end - sub.start_date) + 30 * DAY
    assert invoice_of(stripe_client, sub).total == 499  # 4.995 -> 5.00 off (I: half up)
    moment(stripe_emulator, receiver)

    past_renewal(stripe_emulator, sub)  # month 2: still inside the two months
    assert invoice_of(stripe_client, sub).total == 499
    assert stripe_client.v1.subscriptions.retrieve(sub.id).discounts == [discount.id]

    sub = stripe_client.v1.subscriptions.retrieve(sub.id)
    past_renewal(stripe_emulator, sub)  # month 3: the discount has ended
    third = invoice_of(stripe_client, sub)
    assert (third.total, third.total_discount_amounts, third.discounts) == (999, [], [])
    assert stripe_client.v1.subscriptions.retrieve(sub.id).discounts == []
    assert "customer.discount.deleted" in moment(stripe_emulator, receiver)


# https://docs.stripe.com/api/coupons/object (duration_in_months: "the number of months
# the coupon applies"): the months run from the redemption, a trial included (I)
def test_a_repeating_coupon_counts_its_months_from_the_redemption_through_a_trial(
    stripe_client, stripe_emulator, price, reader
):
    pin_start(stripe_emulator, 3, 15)
    coupon = stripe_client.v1.coupons.create(
        params={"percent_off": 50, "duration": "repeating", "duration_in_months": 1}
    )
    sub = subscribe(
        stripe_client, reader, price, trial_period_days=30, discounts=[{"coupon": coupon.id}]
    )
    assert len(sub.discounts) == 1
    past_trial_end(stripe_emulator, sub)  # 14 April: inside the month
    assert invoice_of(stripe_client, sub).total == 499
    sub = stripe_client.v1.subscriptions.retrieve(sub.id)
    past_renewal(stripe_emulator, sub)  # 14 May: the month ended on 15 April
    assert invoice_of(stripe_client, sub).total == 999
    assert stripe_client.v1.subscriptions.retrieve(sub.id).discounts == []


# https://docs.stripe.com/api/coupons/object (duration once: "Applies to the first charge
# from a subscription with this coupon applied."); https://docs.stripe.com/api/discounts
def test_a_once_coupon_discounts_the_first_invoice_only(
    stripe_client, stripe_emulator, receiver, price, reader
):
    coupon = stripe_client.v1.coupons.create(params={"percent_off": 100})
    sub = subscribe(stripe_client, reader, price, discounts=[{"coupon": coupon.id}])
    # The first invoice consumes it at once: the create's answer no longer shows it
    # (a Stripe engineer: https://github.com/stripe/stripe-go/issues/944).
    assert sub.discounts == []
    first = invoice_of(stripe_client, sub)
    assert (first.total, first.status) == (0, "paid")
    [di] = first.discounts
    assert di.startswith("di_")
    events = moment(stripe_emulator, receiver)
    assert {"customer.discount.created", "customer.discount.deleted"} <= events
    past_renewal(stripe_emulator, sub)
    assert invoice_of(stripe_client, sub).total == 999


# https://docs.stripe.com/api/coupons/object (once: "Applies to the first charge"); "when
# you update the Subscription, no charge happens, so the discount is active until it's
# consumed by an Invoice" (https://github.com/stripe/stripe-go/issues/944): a trial's
# zero invoice charges nothing, so the coupon waits for the trial's end (I)
def test_a_once_coupon_on_a_trial_discounts_the_first_paid_invoice(
    stripe_client, stripe_emulator, receiver, price, reader
):
    coupon = stripe_client.v1.coupons.create(params={"percent_off": 50})
    sub = subscribe(
        stripe_client, reader, price, trial_period_days=30, discounts=[{"coupon": coupon.id}]
    )
    trial_invoice = invoice_of(stripe_client, sub)
    assert (trial_invoice.total, trial_invoice.total_discount_amounts) == (0, [])
    [di] = sub.discounts
    moment(stripe_emulator, receiver)

    past_trial_end(stripe_emulator, sub)
    converted = invoice_of(stripe_client, sub)
    assert (converted.total, converted.status) == (499, "paid")
    assert converted.discounts == [di]
    assert stripe_client.v1.subscriptions.retrieve(sub.id).discounts == []
    assert "customer.discount.deleted" in moment(stripe_emulator, receiver)
    past_renewal(stripe_emulator, stripe_client.v1.subscriptions.retrieve(sub.id))
    assert invoice_of(stripe_client, sub).total == 999


# https://docs.stripe.com/billing/subscriptions/coupons#promotion-codes,
# https://docs.stripe.com/api/promotion_codes/object (times_redeemed)
def test_a_promotion_code_redeems_its_coupon(stripe_client, price, reader):
    coupon = stripe_client.v1.coupons.create(params={"percent_off": 10, "duration": "forever"})
    code = stripe_client.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "READ10"}
    )
    sub = subscribe(stripe_client, reader, price, discounts=[{"promotion_code": code.id}])
    discount = stripe_client.v1.subscriptions.retrieve(
        sub.id, params={"expand": ["discounts.promotion_code"]}
    ).discounts[0]
    assert discount.promotion_code.id == code.id
    assert discount.source.coupon == coupon.id
    assert invoice_of(stripe_client, sub).total == 899
    assert stripe_client.v1.promotion_codes.retrieve(code.id).times_redeemed == 1
    assert stripe_client.v1.coupons.retrieve(coupon.id).times_redeemed == 1


# https://docs.stripe.com/api/subscriptions/update (discounts: "A populated array overwrites
# the existing discounts ... If empty string, it clears the subscription's discounts.")
def test_update_replaces_keeps_and_clears_discounts(
    stripe_client, stripe_emulator, receiver, price, reader
):
    ten = stripe_client.v1.coupons.create(params={"percent_off": 10, "duration": "forever"})
    five = stripe_client.v1.coupons.create(
        params={"amount_off": 100, "currency": "usd", "duration": "forever"}
    )
    sub = subscribe(stripe_client, reader, price)
    assert sub.discounts == []
    sub = stripe_client.v1.subscriptions.update(sub.id, params={"discounts": [{"coupon": ten.id}]})
    [first] = sub.discounts
    sub = stripe_client.v1.subscriptions.update(
        sub.id, params={"discounts": [{"discount": first}, {"coupon": five.id}]}
    )
    assert sub.discounts[0] == first
    assert len(sub.discounts) == 2
    assert stripe_client.v1.coupons.retrieve(ten.id).times_redeemed == 1
    moment(stripe_emulator, receiver)
    past_renewal(stripe_emulator, sub)
    # 10% of 9.99 -> 1.00, then 1.00 off what is left: 9.99 - 1.00 - 1.00.
    assert invoice_of(stripe_client, sub).total == 799
    sub = stripe_client.v1.subscriptions.update(sub.id, params={"discounts": ""})
    assert sub.discounts == []
    assert "customer.discount.deleted" in moment(stripe_emulator, receiver)
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.subscriptions.update(sub.id, params={"discounts": [{"discount": first}]})
    assert err.value.code == "resource_missing"


# https://docs.stripe.com/api/discounts/subscription_delete ("Removes the currently applied
# discount on a subscription.")
def test_delete_discount_removes_the_subscriptions_discount(
    stripe_client, stripe_emulator, receiver, price, reader
):
    coupon = stripe_client.v1.coupons.create(params={"percent_off": 10, "duration": "forever"})
    sub = subscribe(stripe_client, reader, price, discounts=[{"coupon": coupon.id}])
    deleted = stripe_client.v1.subscriptions.delete_discount(sub.id)
    assert (deleted.id, deleted.deleted) == (sub.discounts[0], True)
    assert stripe_client.v1.subscriptions.retrieve(sub.id).discounts == []
    assert "customer.discount.deleted" in moment(stripe_emulator, receiver)
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.subscriptions.delete_discount(sub.id)
    assert err.value.http_status == 404


# https://docs.stripe.com/api/invoice-line-item/object (discountable: "Always false for
# prorations.")
def test_prorations_are_not_discounted(stripe_client, price, reader):
    coupon = stripe_client.v1.coupons.create(params={"percent_off": 50, "duration": "forever"})
    dearer = stripe_client.v1.prices.create(
        params={
            "product": price.product,
            "currency": "usd",
            "unit_amount": 1999,
            "recurring": {"interval": "month"},
        }
    )
    sub = subscribe(stripe_client, reader, price, discounts=[{"coupon": coupon.id}])
    sub = stripe_client.v1.subscriptions.update(
        sub.id,
        params={
            "items": [{"id": sub["items"].data[0].id, "price": dearer.id}],
            "proration_behavior": "always_invoice",
        },
    )
    invoice = invoice_of(stripe_client, sub)
    assert invoice.billing_reason == "subscription_update"
    assert all(not line.discountable for line in invoice.lines.data)
    assert invoice.total_discount_amounts == []


# -- refusals: Stripe's checks, before anything changes ---------------------------------


def refused(client, customer, price, discounts, **params):
    with pytest.raises(stripe.InvalidRequestError) as err:
        subscribe(client, customer, price, discounts=discounts, **params)
    subs = client.v1.subscriptions.list(params={"customer": customer.id, "status": "all"})
    assert subs.data == []  # nothing was created
    return err.value


# https://docs.stripe.com/api/subscriptions/create (discounts[].coupon, .promotion_code)
def test_unknown_coupons_and_codes_are_refused(stripe_client, price, reader):
    err = refused(stripe_client, reader, price, [{"coupon": "NOPE"}])
    assert (err.code, err.param) == ("resource_missing", "discounts[0][coupon]")
    err = refused(stripe_client, reader, price, [{"promotion_code": "promo_nope"}])
    assert (err.code, err.param) == ("resource_missing", "discounts[0][promotion_code]")


# https://docs.stripe.com/api/coupons/object (max_redemptions, redeem_by, valid);
# https://docs.stripe.com/error-codes#coupon-expired
def test_an_invalid_coupon_is_refused_as_expired(stripe_client, stripe_emulator, price, reader):
    once = stripe_client.v1.coupons.create(params={"percent_off": 10, "max_redemptions": 1})
    other, _ = customer_with_card(stripe_client)
    subscribe(stripe_client, other, price, discounts=[{"coupon": once.id}])
    assert stripe_client.v1.coupons.retrieve(once.id).valid is False
    err = refused(stripe_client, reader, price, [{"coupon": once.id}])
    assert (err.code, err.param) == ("coupon_expired", "discounts[0][coupon]")

    soon = stripe_client.v1.coupons.create(
        params={"percent_off": 10, "redeem_by": stripe_emulator.clock() + DAY}
    )
    stripe_emulator.advance(DAY + 60)
    assert refused(stripe_client, reader, price, [{"coupon": soon.id}]).code == "coupon_expired"


# https://docs.stripe.com/api/promotion_codes/object (active, expires_at, max_redemptions,
# customer)
def test_a_code_that_cannot_be_redeemed_is_refused(stripe_client, stripe_emulator, price, reader):
    coupon = stripe_client.v1.coupons.create(params={"percent_off": 10})

    def code(**params):
        return stripe_client.v1.promotion_codes.create(
            params={"promotion": {"type": "coupon", "coupon": coupon.id}, **params}
        ).id

    inactive = code(active=False)
    expiring = code(expires_at=stripe_emulator.clock() + DAY)
    single = code(max_redemptions=1)
    someone_else = stripe_client.v1.customers.create(params={"email": "other@example.com"})
    personal = code(customer=someone_else.id)
    other, _ = customer_with_card(stripe_client)
    subscribe(stripe_client, other, price, discounts=[{"promotion_code": single}])
    stripe_emulator.advance(DAY + 60)
    for promo_id, words in [
        (inactive, "inactive"),
        (expiring, "expired"),
        (single, "maximum number of redemptions"),
        (personal, "cannot be redeemed by this customer"),
    ]:
        err = refused(stripe_client, reader, price, [{"promotion_code": promo_id}])
        assert words in err.user_message
        assert err.param == "discounts[0][promotion_code]"


# https://docs.stripe.com/api/promotion_codes/object (restrictions.first_time_transaction:
# "only be redeemed for Customers without any successful payments or invoices")
def test_a_first_time_code_is_refused_to_a_customer_who_has_paid(stripe_client, price, reader):
    coupon = stripe_client.v1.coupons.create(params={"percent_off": 10})
    first_time = stripe_client.v1.promotion_codes.create(
        params={
            "promotion": {"type": "coupon", "coupon": coupon.id},
            "restrictions": {"first_time_transaction": True},
        }
    )
    newcomer, _ = customer_with_card(stripe_client)
    subscribe(stripe_client, newcomer, price, discounts=[{"promotion_code": first_time.id}])
    subscribe(stripe_client, reader, price)  # paid once
    with pytest.raises(stripe.InvalidRequestError) as err:
        subscribe(stripe_client, reader, price, discounts=[{"promotion_code": first_time.id}])
    assert "never made a successful payment" in err.value.user_message


# https://docs.stripe.com/api/promotion_codes/object (restrictions.minimum_amount)
def test_a_code_with_a_minimum_amount_not_met_is_refused(stripe_client, price, reader):
    coupon = stripe_client.v1.coupons.create(params={"percent_off": 10})
    big_spender = stripe_client.v1.promotion_codes.create(
        params={
            "promotion": {"type": "coupon", "coupon": coupon.id},
            "restrictions": {"minimum_amount": 1000, "minimum_amount_currency": "usd"},
        }
    )
    err = refused(stripe_client, reader, price, [{"promotion_code": big_spender.id}])
    assert "minimum amount" in err.user_message
    sub = subscribe(
        stripe_client,
        reader,
        price,
        items=[{"price": price.id, "quantity": 2}],
        discounts=[{"promotion_code": big_spender.id}],
    )
    assert invoice_of(stripe_client, sub).total == 1798


# https://docs.stripe.com/api/coupons/object (currency, currency_options, applies_to)
def test_a_coupon_that_cannot_apply_to_the_subscription_is_refused(stripe_client, price, reader):
    eur = stripe_client.v1.coupons.create(params={"amount_off": 100, "currency": "eur"})
    err = refused(stripe_client, reader, price, [{"coupon": eur.id}])
    assert "usd" in err.user_message
    elsewhere = stripe_client.v1.products.create(params={"name": "Crosswords"})
    narrow = stripe_client.v1.coupons.create(
        params={"percent_off": 10, "applies_to": {"products": [elsewhere.id]}}
    )
    err = refused(stripe_client, reader, price, [{"coupon": narrow.id}])
    assert "does not apply" in err.user_message
    assert stripe_client.v1.coupons.retrieve(narrow.id).times_redeemed == 0


# https://docs.stripe.com/api/events/types (coupon.*, promotion_code.*, customer.discount.*)
def test_an_endpoint_can_listen_to_the_discount_events(stripe_client):
    types = [
        "coupon.created",
        "coupon.updated",
        "coupon.deleted",
        "promotion_code.created",
        "promotion_code.updated",
        "customer.discount.created",
        "customer.discount.updated",
        "customer.discount.deleted",
    ]
    endpoint = stripe_client.v1.webhook_endpoints.create(
        params={"url": "https://example.com/hook", "enabled_events": types}
    )
    assert endpoint.enabled_events == types


# https://docs.stripe.com/api/promotion_codes/create#create_promotion_code-restrictions-currency_options
# https://docs.stripe.com/api/prices/create#create_price-currency_options
def test_a_minimum_amount_is_met_in_the_subscriptions_currency(stripe_client, price, reader):
    """The basket is priced in the subscription's currency: a EUR subscription of a
    USD price counts the price's EUR amount against the code's EUR minimum."""
    euro_price = stripe_client.v1.prices.create(
        params={
            "product": price.product,
            "currency": "usd",
            "unit_amount": 999,
            "currency_options": {"eur": {"unit_amount": 1200}},
            "recurring": {"interval": "month"},
        }
    )
    coupon = stripe_client.v1.coupons.create(params={"percent_off": 10})
    code = stripe_client.v1.promotion_codes.create(
        params={
            "promotion": {"type": "coupon", "coupon": coupon.id},
            "restrictions": {
                "minimum_amount": 1000,
                "minimum_amount_currency": "usd",
                "currency_options": {"eur": {"minimum_amount": 1100}},
            },
        }
    )
    sub = subscribe(
        stripe_client,
        reader,
        euro_price,
        currency="eur",
        discounts=[{"promotion_code": code.id}],
    )
    invoice = invoice_of(stripe_client, sub)
    assert (invoice.currency, invoice.subtotal, invoice.total) == ("eur", 1200, 1080)
