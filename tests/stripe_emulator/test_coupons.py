"""Coupons through the official SDK: create, retrieve, update, delete, list, and when a
coupon stops being `valid`. Each test names the Stripe page it follows."""

from __future__ import annotations

import pytest
import stripe  # noqa: TID251 - the emulator is tested through the official SDK

from tests.helpers.stripe_emulator import DAY, moment
from tests.helpers.stripe_shapes import assert_shape


# https://docs.stripe.com/api/coupons/create
def test_a_percent_coupon_has_stripes_shape_and_defaults(stripe_client, stripe_emulator):
    coupon = stripe_client.v1.coupons.create(params={"percent_off": 25.5})
    assert_shape(coupon, stripe.Coupon)
    assert coupon.percent_off == 25.5
    assert coupon.amount_off is None
    assert coupon.currency is None
    assert coupon.duration == "once"  # "Defaults to `once`."
    assert coupon.valid is True
    assert coupon.times_redeemed == 0
    assert len(coupon.id) == 8
    assert abs(coupon.created - stripe_emulator.clock()) < 60


# https://docs.stripe.com/api/coupons/create
def test_an_amount_coupon_with_a_custom_id_currency_options_and_products(stripe_client):
    product = stripe_client.v1.products.create(params={"name": "Gold"})
    coupon = stripe_client.v1.coupons.create(
        params={
            "id": "WELCOME5",
            "amount_off": 500,
            "currency": "USD",
            "currency_options": {"eur": {"amount_off": 450}},
            "duration": "repeating",
            "duration_in_months": 3,
            "max_redemptions": 20,
            "applies_to": {"products": [product.id]},
            "name": "5 off for 3 months",
            "metadata": {"campaign": "spring"},
        }
    )
    assert coupon.id == "WELCOME5"
    assert (coupon.amount_off, coupon.currency) == (500, "usd")
    assert coupon.currency_options["eur"].amount_off == 450
    assert (coupon.duration, coupon.duration_in_months) == ("repeating", 3)
    assert coupon.applies_to.products == [product.id]
    assert coupon.max_redemptions == 20
    assert coupon.metadata.to_dict() == {"campaign": "spring"}
    again = stripe_client.v1.coupons.retrieve("WELCOME5", params={"expand": ["applies_to"]})
    assert again.to_dict() == coupon.to_dict()


@pytest.mark.parametrize(
    ("params", "param", "code"),
    [
        ({}, "percent_off", None),
        ({"percent_off": 10, "amount_off": 100, "currency": "usd"}, "amount_off", None),
        ({"amount_off": 100}, "currency", "parameter_missing"),
        ({"percent_off": 0}, "percent_off", None),
        ({"percent_off": 100.5}, "percent_off", None),
        ({"percent_off": 10, "duration": "repeating"}, "duration_in_months", "parameter_missing"),
        ({"percent_off": 10, "duration_in_months": 3}, "duration_in_months", None),
        ({"percent_off": 10, "duration": "weekly"}, "duration", None),
        ({"percent_off": 10, "currency_options": {"eur": {"amount_off": 1}}}, None, None),
        ({"percent_off": 10, "max_redemptions": 0}, "max_redemptions", None),
        ({"percent_off": 10, "applies_to": {"products": ["prod_nope"]}}, None, None),
    ],
)
# https://docs.stripe.com/api/coupons/create (each parameter's rules)
def test_create_refuses_what_stripe_refuses(stripe_client, params, param, code):
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.coupons.create(params=params)
    if param:
        assert err.value.param == param
    if code:
        assert err.value.code == code


# https://docs.stripe.com/api/coupons/create (id: unique)
def test_a_coupon_id_is_unique(stripe_client):
    stripe_client.v1.coupons.create(params={"id": "TAKEN", "percent_off": 10})
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.coupons.create(params={"id": "TAKEN", "percent_off": 20})
    assert err.value.code == "resource_already_exists"


# https://docs.stripe.com/api/coupons/create (redeem_by: in the future, at most 5 years)
def test_redeem_by_must_be_in_the_future(stripe_client, stripe_emulator):
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.coupons.create(
            params={"percent_off": 10, "redeem_by": stripe_emulator.clock() - 60}
        )
    assert err.value.param == "redeem_by"


# https://docs.stripe.com/api/coupons/object (valid: "Taking account of the above
# properties, whether this coupon can still be applied to a customer.")
def test_a_coupon_is_no_longer_valid_once_redeem_by_passes(stripe_client, stripe_emulator):
    redeem_by = stripe_emulator.clock() + 2 * DAY
    coupon = stripe_client.v1.coupons.create(params={"percent_off": 10, "redeem_by": redeem_by})
    assert coupon.valid is True
    stripe_emulator.advance(to=redeem_by + 60)
    assert stripe_client.v1.coupons.retrieve(coupon.id).valid is False


# https://docs.stripe.com/api/coupons/update (name, metadata, currency_options only)
def test_update_changes_name_metadata_and_currency_options(
    stripe_client, receiver, stripe_emulator
):
    coupon = stripe_client.v1.coupons.create(
        params={"amount_off": 300, "currency": "usd", "metadata": {"a": "1"}}
    )
    updated = stripe_client.v1.coupons.update(
        coupon.id,
        params={
            "name": "Three off",
            "metadata": {"b": "2"},
            "currency_options": {"gbp": {"amount_off": 250}},
        },
    )
    assert updated.name == "Three off"
    assert updated.metadata.to_dict() == {"a": "1", "b": "2"}
    assert updated.currency_options["gbp"].amount_off == 250
    assert updated.amount_off == 300
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.coupons.update(coupon.id, params={"amount_off": 400})
    assert err.value.code == "parameter_unknown"
    stripe_emulator.flush()
    events = {e.type: e for e in receiver.take()}
    assert set(events) == {"coupon.created", "coupon.updated"}
    previous = events["coupon.updated"].data.previous_attributes
    assert previous["name"] is None


# https://docs.stripe.com/api/coupons/update ("only supported if the coupon is amount-based")
def test_currency_options_need_an_amount_coupon(stripe_client):
    coupon = stripe_client.v1.coupons.create(params={"percent_off": 10})
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.coupons.update(
            coupon.id, params={"currency_options": {"eur": {"amount_off": 100}}}
        )
    assert err.value.param == "currency_options"


# https://docs.stripe.com/api/coupons/delete, https://docs.stripe.com/api/coupons/list
def test_delete_and_list(stripe_client, stripe_emulator, receiver):
    first = stripe_client.v1.coupons.create(params={"percent_off": 10})
    second = stripe_client.v1.coupons.create(params={"percent_off": 20})
    assert [c.id for c in stripe_client.v1.coupons.list().data] == [second.id, first.id]
    deleted = stripe_client.v1.coupons.delete(first.id)
    assert deleted.deleted is True
    assert deleted.id == first.id
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.coupons.retrieve(first.id)
    assert err.value.http_status == 404
    assert [c.id for c in stripe_client.v1.coupons.list().data] == [second.id]
    assert moment(stripe_emulator, receiver) == {"coupon.created", "coupon.deleted"}


# https://docs.stripe.com/api/coupons/create#create_coupon-currency
# https://docs.stripe.com/currencies (the currencies Stripe supports)
def test_a_coupon_currency_must_be_one_stripe_supports(stripe_client):
    for params, param in (
        ({"amount_off": 500, "currency": "xyz"}, "currency"),
        (
            {"amount_off": 500, "currency": "usd", "currency_options": {"xyz": {"amount_off": 4}}},
            "currency_options[xyz]",
        ),
    ):
        with pytest.raises(stripe.InvalidRequestError, match="Invalid currency: xyz") as err:
            stripe_client.v1.coupons.create(params=params)
        assert err.value.param == param
    coupon = stripe_client.v1.coupons.create(params={"amount_off": 500, "currency": "EUR"})
    assert coupon.currency == "eur"
