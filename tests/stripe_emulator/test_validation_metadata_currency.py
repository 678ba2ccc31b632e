"""Validation as Stripe: metadata limits wherever metadata is accepted, and the
currencies Stripe supports. The Stripe page each rule follows is cited by the test.
"""

from __future__ import annotations

import pytest
import stripe  # noqa: TID251 - the emulator is tested through the official SDK

# https://docs.stripe.com/api/metadata: "You can specify up to 50 keys, with key names
# up to 40 characters long and values up to 500 characters long ... you can't use
# square brackets ([ and ]) in keys."


def refused(call, *, param: str, message: str | None = None):
    with pytest.raises(stripe.InvalidRequestError) as err:
        call()
    assert err.value.http_status == 400
    assert err.value.param == param
    if message is not None:
        assert err.value.user_message == message
    return err.value


def many(n: int) -> dict[str, str]:
    return {f"k{i}": "v" for i in range(n)}


def test_fifty_keys_pass_and_fifty_one_are_refused(stripe_client):
    assert (
        len(stripe_client.v1.customers.create(params={"metadata": many(50)}).metadata.to_dict())
        == 50
    )
    refused(
        lambda: stripe_client.v1.customers.create(params={"metadata": many(51)}),
        param="metadata",
        message="Metadata can have up to 50 keys, but you've set 51. "
        "Email us at support+metadata@stripe.com for more information.",
    )


def test_the_limit_counts_the_keys_the_object_ends_with(stripe_client):
    customer = stripe_client.v1.customers.create(params={"metadata": many(50)})
    refused(
        lambda: stripe_client.v1.customers.update(
            customer.id, params={"metadata": {"one_more": "x"}, "name": "Changed"}
        ),
        param="metadata",
    )
    again = stripe_client.v1.customers.retrieve(customer.id)
    assert (len(again.metadata.to_dict()), again.name) == (50, None)
    # Removing one (a key set to '') makes room for another.
    updated = stripe_client.v1.customers.update(
        customer.id, params={"metadata": {"k0": "", "one_more": "x"}}
    )
    assert len(updated.metadata.to_dict()) == 50


def test_a_key_is_at_most_40_characters_and_a_value_at_most_500(stripe_client, price):
    assert stripe_client.v1.products.create(
        params={"name": "Gold", "metadata": {"k" * 40: "v" * 500}}
    ).metadata.to_dict() == {"k" * 40: "v" * 500}
    refused(
        lambda: stripe_client.v1.products.create(params={"name": "G", "metadata": {"k" * 41: "v"}}),
        param="metadata",
        message=f"Invalid key: {'k' * 41} must be a string under 40 characters",
    )
    refused(
        lambda: stripe_client.v1.prices.update(price.id, params={"metadata": {"k": "v" * 501}}),
        param="metadata",
        message=f"Invalid val: {'v' * 501} must be a string under 500 characters",
    )


def test_a_key_with_square_brackets_is_refused(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.customers.create(params={"metadata": {"a[b]": "x"}})
    assert err.value.param.startswith("metadata")
    assert stripe_client.v1.customers.list().data == []


def test_the_limits_hold_for_every_object_that_takes_metadata(stripe_client, price):
    customer = stripe_client.v1.customers.create()
    long_key = {"k" * 41: "v"}
    calls = {
        "metadata": [
            lambda: stripe_client.v1.subscriptions.create(
                params={
                    "customer": customer.id,
                    "items": [{"price": price.id}],
                    "metadata": many(51),
                }
            ),
            lambda: stripe_client.v1.setup_intents.create(params={"metadata": long_key}),
            lambda: stripe_client.v1.payment_methods.create(
                params={"type": "card", "card": {"token": "tok_visa"}, "metadata": long_key}
            ),
            lambda: stripe_client.v1.webhook_endpoints.create(
                params={
                    "url": "https://example.com/hook",
                    "enabled_events": ["*"],
                    "metadata": long_key,
                }
            ),
        ],
        "items[0][metadata]": [
            lambda: stripe_client.v1.subscriptions.create(
                params={
                    "customer": customer.id,
                    "items": [{"price": price.id, "metadata": long_key}],
                }
            )
        ],
    }
    for param, group in calls.items():
        for call in group:
            refused(call, param=param)
    assert stripe_client.v1.subscriptions.list().data == []


# -- currencies -----------------------------------------------------------------------
# https://docs.stripe.com/currencies: three-letter ISO codes, in lowercase, from the
# list of supported presentment currencies.


def test_an_unsupported_currency_is_refused_with_the_list_stripe_supports(stripe_client, price):
    err = refused(
        lambda: stripe_client.v1.prices.create(
            params={"product": price.product, "currency": "xyz", "unit_amount": 100}
        ),
        param="currency",
    )
    assert err.user_message.startswith(
        "Invalid currency: xyz. Stripe currently supports these currencies: usd, aed, afn,"
    )
    assert ", eur," in err.user_message
    assert ", jpy," in err.user_message


@pytest.mark.parametrize("code", ["eur", "GBP", "jpy", "kwd"])
def test_supported_currencies_pass_lowercased(stripe_client, price, code):
    created = stripe_client.v1.prices.create(
        params={"product": price.product, "currency": code, "unit_amount": 1000}
    )
    assert created.currency == code.lower()


def test_a_currency_filter_is_checked_as_well(stripe_client, price):
    # https://docs.stripe.com/api/prices/list#list_prices-currency
    refused(lambda: stripe_client.v1.prices.list(params={"currency": "zzz"}), param="currency")
    assert [p.id for p in stripe_client.v1.prices.list(params={"currency": "usd"})] == [price.id]
