"""Currencies: prices with currency_options, the subscription `currency` parameter, the
customer's currency and the refusal to mix currencies on one customer.

Stripe's pages, cited at each test:
- multi-currency prices: https://docs.stripe.com/payments/checkout/present-local-currencies?payment-ui=stripe-hosted#multi-currency-prices
- https://docs.stripe.com/api/prices/create#create_price-currency_options
- https://docs.stripe.com/api/subscriptions/create#create_subscription-currency
- https://docs.stripe.com/api/customers/object#customer_object-currency
- https://support.stripe.com/questions/setting-a-customers-default-currency
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import stripe  # noqa: TID251 - the emulator is tested through the official SDK

from tests.helpers.stripe_emulator import customer_with_card

DAY = 86400
HOUR = 3600


@pytest.fixture
def multi(stripe_client) -> Any:
    """A monthly price: 10.00 USD, 9.00 EUR, 8.00 GBP."""
    product = stripe_client.v1.products.create(params={"name": "Gold"})
    return stripe_client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount": 1000,
            "currency_options": {
                "eur": {"unit_amount": 900},
                "gbp": {"unit_amount_decimal": "800", "tax_behavior": "inclusive"},
            },
            "recurring": {"interval": "month"},
        }
    )


def _price(client, amount: int, currency: str = "usd", interval: str = "month", **extra):
    product = client.v1.products.create(params={"name": f"Plan {amount}"})
    return client.v1.prices.create(
        params={
            "product": product.id,
            "currency": currency,
            "unit_amount": amount,
            "recurring": {"interval": interval},
            **extra,
        }
    )


def _subscribe(client, customer, price, **params):
    return client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}], **params}
    )


# -- prices ------------------------------------------------------------------------


def test_currency_options_are_shown_only_when_expanded(stripe_client, multi):
    # https://docs.stripe.com/api/prices/create#create_price-currency_options
    # https://docs.stripe.com/api/expanding_objects (currency_options is includable)
    assert "currency_options" not in multi
    price = stripe_client.v1.prices.retrieve(multi.id, params={"expand": ["currency_options"]})
    options = price.currency_options
    assert sorted(options.to_dict()) == ["eur", "gbp", "usd"]
    assert (options["usd"].unit_amount, options["usd"].unit_amount_decimal) == (1000, "1000")
    assert (options["eur"].unit_amount, options["eur"].tax_behavior) == (900, "unspecified")
    assert options["eur"].custom_unit_amount is None
    assert (options["gbp"].unit_amount, options["gbp"].unit_amount_decimal) == (800, "800")
    assert options["gbp"].tax_behavior == "inclusive"
    listed = stripe_client.v1.prices.list(params={"expand": ["data.currency_options"]})
    assert sorted(listed.data[0].currency_options.to_dict()) == ["eur", "gbp", "usd"]


def test_a_price_without_options_expands_to_its_own_currency(stripe_client, price):
    # https://docs.stripe.com/api/prices/object#price_object-currency_options
    got = stripe_client.v1.prices.retrieve(price.id, params={"expand": ["currency_options"]})
    assert got.currency_options.to_dict(recursive=True) == {
        "usd": {
            "custom_unit_amount": None,
            "tax_behavior": "unspecified",
            "unit_amount": 999,
            "unit_amount_decimal": "999",
        }
    }


def test_update_changes_the_currency_options_given(stripe_client, multi):
    # https://docs.stripe.com/api/prices/update#update_price-currency_options
    updated = stripe_client.v1.prices.update(
        multi.id,
        params={
            "currency_options": {"eur": {"unit_amount": 950}, "chf": {"unit_amount": 990}},
            "expand": ["currency_options"],
        },
    )
    assert sorted(updated.currency_options.to_dict()) == ["chf", "eur", "gbp", "usd"]
    assert updated.currency_options["eur"].unit_amount == 950
    assert updated.currency_options["gbp"].unit_amount == 800
    # Stripe's answer to an option in the price's own currency (stripe/stripe-node#1559)
    with pytest.raises(stripe.InvalidRequestError, match="matches the top-level") as err:
        stripe_client.v1.prices.update(
            multi.id, params={"currency_options": {"usd": {"unit_amount": 1100}}}
        )
    assert err.value.param == "currency_options[usd]"
    cleared = stripe_client.v1.prices.update(
        multi.id, params={"currency_options": "", "expand": ["currency_options"]}
    )
    assert sorted(cleared.currency_options.to_dict()) == ["usd"]
    assert cleared.unit_amount == 1000  # the price's own amount cannot change


@pytest.mark.parametrize(
    ("options", "param", "match"),
    [
        ({"usd": {"unit_amount": 500}}, "currency_options[usd]", "own currency"),
        ({"xyz": {"unit_amount": 500}}, "currency_options[xyz]", "Invalid currency: xyz"),
        ({"eur": {"unit_amount": -1}}, "currency_options[eur][unit_amount]", "non-negative"),
        (
            {"eur": {"unit_amount": 100_000_000}},
            "currency_options[eur][unit_amount]",
            "less than or equal to 99999999",
        ),
        ({"eur": {"unit_amount": "abc"}}, "currency_options[eur][unit_amount]", "integer"),
        (
            {"eur": {"tax_behavior": "inclusive"}},
            "currency_options[eur][unit_amount]",
            "Missing required param",
        ),
        (
            {"eur": {"unit_amount": 5, "unit_amount_decimal": "5"}},
            "currency_options[eur][unit_amount_decimal]",
            "only specify one",
        ),
        (
            {"eur": {"unit_amount": 5, "tax_behavior": "sometimes"}},
            "currency_options[eur][tax_behavior]",
            "must be one of",
        ),
        ({"eur": {"unit_amount": 5, "colour": "red"}}, "currency_options[eur][colour]", "colour"),
    ],
)
def test_currency_options_are_validated(stripe_client, options, param, match):
    # https://docs.stripe.com/api/prices/create#create_price-currency_options
    product = stripe_client.v1.products.create(params={"name": "Gold"})
    with pytest.raises(stripe.InvalidRequestError, match=match) as err:
        stripe_client.v1.prices.create(
            params={
                "product": product.id,
                "currency": "usd",
                "unit_amount": 1000,
                "currency_options": options,
            }
        )
    assert err.value.param == param
    assert stripe_client.v1.prices.list().data == []


# -- the subscription's currency -------------------------------------------------------


@pytest.mark.parametrize(("currency", "amount"), [("usd", 1000), ("eur", 900), ("gbp", 800)])
def test_subscription_currency_selects_the_amount(stripe_client, multi, currency, amount):
    # https://docs.stripe.com/api/subscriptions/create#create_subscription-currency
    customer, _pm = customer_with_card(stripe_client)
    assert (
        customer.currency is None
    )  # https://docs.stripe.com/api/customers/object#customer_object-currency
    sub = _subscribe(
        stripe_client, customer, multi, currency=currency.upper(), expand=["latest_invoice"]
    )
    assert (sub.status, sub.currency) == ("active", currency)
    invoice = sub.latest_invoice
    assert (invoice.currency, invoice.amount_due, invoice.amount_paid) == (currency, amount, amount)
    line = invoice.lines.data[0]
    assert (line.currency, line.amount, line.pricing.unit_amount_decimal) == (
        currency,
        amount,
        Decimal(amount),
    )
    pi = stripe_client.v1.payment_intents.list(params={"customer": customer.id}).data[0]
    assert (pi.currency, pi.amount) == (currency, amount)
    assert stripe_client.v1.customers.retrieve(customer.id).currency == currency


def test_without_currency_the_price_currency_is_used(stripe_client, multi):
    # https://docs.stripe.com/api/subscriptions/create#create_subscription-currency
    customer, _pm = customer_with_card(stripe_client)
    sub = _subscribe(stripe_client, customer, multi)
    assert sub.currency == "usd"


def test_a_currency_the_price_lacks_is_refused(stripe_client, multi):
    # https://docs.stripe.com/payments/checkout/present-local-currencies?payment-ui=stripe-hosted#multi-currency-prices
    customer, _pm = customer_with_card(stripe_client)
    with pytest.raises(stripe.InvalidRequestError, match="jpy") as err:
        _subscribe(stripe_client, customer, multi, currency="jpy")
    assert err.value.param == "items[0][price]"
    with pytest.raises(stripe.InvalidRequestError, match="Invalid currency: zzz") as err:
        _subscribe(stripe_client, customer, multi, currency="zzz")
    assert err.value.param == "currency"
    assert stripe_client.v1.subscriptions.list(params={"customer": customer.id}).data == []
    assert stripe_client.v1.customers.retrieve(customer.id).currency is None


def test_an_eur_subscription_is_charged_in_eur_through_trial_and_renewal(
    stripe_emulator, stripe_client, multi
):
    # https://docs.stripe.com/api/subscriptions/create#create_subscription-currency
    customer, _pm = customer_with_card(stripe_client)
    sub = _subscribe(
        stripe_client,
        customer,
        multi,
        currency="eur",
        trial_period_days=7,
        expand=["latest_invoice"],
    )
    trial = sub.latest_invoice
    assert (trial.currency, trial.amount_due, trial.lines.data[0].currency) == ("eur", 0, "eur")
    assert stripe_client.v1.customers.retrieve(customer.id).currency == "eur"

    stripe_emulator.advance(to=sub.trial_end + HOUR + 60)
    first = stripe_client.v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice"]})
    assert first.status == "active"
    assert (first.latest_invoice.currency, first.latest_invoice.amount_paid) == ("eur", 900)
    assert "€9.00" in first.latest_invoice.lines.data[0].description

    period_end = first["items"].data[0].current_period_end
    stripe_emulator.advance(to=period_end + HOUR + 60)
    renewed = stripe_client.v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice"]})
    invoice = renewed.latest_invoice
    assert invoice.billing_reason == "subscription_cycle"
    assert (invoice.status, invoice.currency, invoice.amount_paid) == ("paid", "eur", 900)
    intents = stripe_client.v1.payment_intents.list(params={"customer": customer.id}).data
    assert [(pi.status, pi.currency, pi.amount) for pi in intents] == [
        ("succeeded", "eur", 900)
    ] * 2


def test_plan_change_keeps_the_currency_and_prorates_in_it(stripe_emulator, stripe_client, multi):
    # https://docs.stripe.com/billing/subscriptions/prorations
    product = stripe_client.v1.products.retrieve(multi.product)
    premium = stripe_client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount": 2000,
            "currency_options": {"eur": {"unit_amount": 1800}},
            "recurring": {"interval": "month"},
        }
    )
    customer, _pm = customer_with_card(stripe_client)
    sub = _subscribe(stripe_client, customer, multi, currency="eur")
    item = sub["items"].data[0]
    stripe_emulator.advance(15 * DAY)
    changed = stripe_client.v1.subscriptions.update(
        sub.id,
        params={
            "items": [{"id": item.id, "price": premium.id}],
            "proration_behavior": "always_invoice",
            "expand": ["latest_invoice"],
        },
    )
    assert changed.currency == "eur"
    invoice = changed.latest_invoice
    assert invoice.currency == "eur"
    amounts = sorted(line.amount for line in invoice.lines.data)
    assert {line.currency for line in invoice.lines.data} == {"eur"}
    assert amounts[0] < 0 < amounts[1]
    # the credit is for the unused EUR 9.00, the debit for the remaining EUR 18.00
    assert abs(amounts[0] * 2 + amounts[1]) <= 2
    assert abs(amounts[1] / 1800 - -amounts[0] / 900) < 0.01


def test_plan_change_to_a_price_without_the_currency_is_refused(stripe_client, multi):
    # https://docs.stripe.com/api/subscriptions/update#update_subscription-items-price
    usd_only = _price(stripe_client, 1500)
    customer, _pm = customer_with_card(stripe_client)
    sub = _subscribe(stripe_client, customer, multi, currency="eur")
    item = sub["items"].data[0]
    with pytest.raises(stripe.InvalidRequestError, match="Currency and interval") as err:
        stripe_client.v1.subscriptions.update(
            sub.id, params={"items": [{"id": item.id, "price": usd_only.id}]}
        )
    assert err.value.param == "items[0][price]"
    after = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert after["items"].data[0].price.id == multi.id


# -- the customer's currency -------------------------------------------------------------


def test_a_customer_cannot_mix_currencies_while_a_subscription_is_live(stripe_client, multi):
    # https://support.stripe.com/questions/setting-a-customers-default-currency
    # https://docs.stripe.com/api/customers/object#customer_object-currency
    customer, _pm = customer_with_card(stripe_client)
    _subscribe(stripe_client, customer, multi, currency="eur")
    usd = _price(stripe_client, 500)
    for price, currency in ((usd, None), (multi, "usd"), (multi, "gbp")):
        extra = {"currency": currency} if currency else {}
        with pytest.raises(stripe.InvalidRequestError) as err:
            _subscribe(stripe_client, customer, price, **extra)
        assert err.value.http_status == 400
        assert err.value.error.type == "invalid_request_error"
        assert err.value.user_message == (
            f"The currency of the selected prices ({currency or 'usd'}) does not match the "
            "customer currency (eur)."
        )
    # the same currency is fine: a second EUR subscription
    second = _subscribe(stripe_client, customer, multi, currency="eur")
    assert second.currency == "eur"
    subs = stripe_client.v1.subscriptions.list(params={"customer": customer.id}).data
    assert {s.currency for s in subs} == {"eur"}


def test_once_everything_has_ended_the_customer_can_switch(stripe_client, multi):
    # https://support.stripe.com/questions/setting-a-customers-default-currency: "The
    # customer's default currency will be changed when the customer does not have any
    # active subscriptions and you start a new subscription ... in a new currency."
    customer, _pm = customer_with_card(stripe_client)
    sub = _subscribe(stripe_client, customer, multi, currency="eur")
    stripe_client.v1.subscriptions.cancel(sub.id)
    assert stripe_client.v1.customers.retrieve(customer.id).currency == "eur"
    switched = _subscribe(stripe_client, customer, multi, currency="gbp")
    assert switched.currency == "gbp"
    assert stripe_client.v1.customers.retrieve(customer.id).currency == "gbp"


# https://docs.stripe.com/api/prices/update (a refused request changes nothing)
def test_a_refused_price_update_changes_nothing(stripe_client, price):
    other = stripe_client.v1.prices.create(
        params={
            "product": price.product,
            "currency": "usd",
            "unit_amount": 500,
            "recurring": {"interval": "month"},
        }
    )
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.prices.update(
            other.id,
            params={
                "currency_options": {"eur": {"unit_amount": 450}},
                "lookup_key": price.lookup_key,  # taken, and no transfer_lookup_key
            },
        )
    assert err.value.param == "lookup_key"
    again = stripe_client.v1.prices.retrieve(other.id, params={"expand": ["currency_options"]})
    assert set(again.currency_options.to_dict()) == {"usd"}
    assert again.lookup_key is None
