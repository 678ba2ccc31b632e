"""Promotion codes through the official SDK: create, retrieve, update, list; codes unique
regardless of case among active ones. Each test names the Stripe page it follows."""

from __future__ import annotations

import pytest
import stripe  # noqa: TID251 - the emulator is tested through the official SDK

from tests.helpers.stripe_emulator import DAY, moment
from tests.helpers.stripe_shapes import assert_shape


@pytest.fixture
def coupon(stripe_client):
    return stripe_client.v1.coupons.create(params={"percent_off": 20, "max_redemptions": 10})


def promo(client, coupon_id: str, **params):
    return client.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": coupon_id}, **params}
    )


# https://docs.stripe.com/api/promotion_codes/create (the pinned version names the coupon
# in `promotion[coupon]` with `promotion[type]=coupon`)
def test_a_promotion_code_has_stripes_shape(stripe_client, coupon):
    code = promo(stripe_client, coupon.id, code="SPRING20")
    assert_shape(code, stripe.PromotionCode)
    assert code.id.startswith("promo_")
    assert code.code == "SPRING20"
    assert code.active is True
    assert code.promotion.type == "coupon"
    assert code.promotion.coupon == coupon.id
    assert code.restrictions.first_time_transaction is False
    assert code.restrictions.minimum_amount is None
    assert code.times_redeemed == 0
    expanded = stripe_client.v1.promotion_codes.retrieve(
        code.id, params={"expand": ["promotion.coupon"]}
    )
    assert expanded.promotion.coupon.id == coupon.id


# https://docs.stripe.com/api/promotion_codes/create (every parameter)
def test_create_with_every_restriction(stripe_client, stripe_emulator, coupon):
    customer = stripe_client.v1.customers.create(params={"email": "reader@example.com"})
    expires_at = stripe_emulator.clock() + 7 * DAY
    code = promo(
        stripe_client,
        coupon.id,
        code="vip-2026",
        customer=customer.id,
        expires_at=expires_at,
        max_redemptions=5,
        metadata={"channel": "newsletter"},
        restrictions={
            "first_time_transaction": True,
            "minimum_amount": 1000,
            "minimum_amount_currency": "usd",
            "currency_options": {"eur": {"minimum_amount": 900}},
        },
    )
    assert code.code == "vip-2026"
    assert code.customer == customer.id
    assert code.expires_at == expires_at
    assert code.max_redemptions == 5
    assert code.restrictions.first_time_transaction is True
    assert (code.restrictions.minimum_amount, code.restrictions.minimum_amount_currency) == (
        1000,
        "usd",
    )
    assert code.restrictions.currency_options["eur"].minimum_amount == 900


# https://docs.stripe.com/api/promotion_codes/create ("If left blank, we will generate one")
def test_a_code_is_generated_when_none_is_given(stripe_client, coupon):
    code = promo(stripe_client, coupon.id)
    assert code.code.isalnum()
    assert len(code.code) >= 6


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"code": "no spaces"}, "code"),
        ({"max_redemptions": 11}, "max_redemptions"),  # more than the coupon's 10
        ({"restrictions": {"minimum_amount": 100}}, "restrictions[minimum_amount_currency]"),
        ({"customer": "cus_nope"}, "customer"),
    ],
)
# https://docs.stripe.com/api/promotion_codes/create
def test_create_refuses_what_stripe_refuses(stripe_client, coupon, params, param):
    with pytest.raises(stripe.InvalidRequestError) as err:
        promo(stripe_client, coupon.id, **params)
    assert err.value.param == param


# https://docs.stripe.com/api/promotion_codes/create (promotion is required)
def test_the_coupon_must_exist(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as err:
        promo(stripe_client, "NOPE")
    assert err.value.code == "resource_missing"
    assert err.value.param == "promotion[coupon]"
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.promotion_codes.create(params={"code": "X1"})
    assert err.value.code == "parameter_missing"


# https://docs.stripe.com/api/promotion_codes/object (code: "Regardless of case, this code
# must be unique across all active promotion codes for each customer.")
def test_codes_are_unique_among_active_codes_regardless_of_case(stripe_client, coupon):
    first = promo(stripe_client, coupon.id, code="SUMMER")
    with pytest.raises(stripe.InvalidRequestError) as err:
        promo(stripe_client, coupon.id, code="summer")
    assert err.value.code == "resource_already_exists"
    stripe_client.v1.promotion_codes.update(first.id, params={"active": False})
    second = promo(stripe_client, coupon.id, code="summer")
    assert second.active is True
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.promotion_codes.update(first.id, params={"active": True})


# https://docs.stripe.com/api/promotion_codes/update, .../list (code is case-insensitive)
def test_update_and_list_filters(stripe_client, stripe_emulator, receiver, coupon):
    customer = stripe_client.v1.customers.create(params={"email": "reader@example.com"})
    other = stripe_client.v1.coupons.create(params={"percent_off": 5})
    a = promo(stripe_client, coupon.id, code="ALPHA", customer=customer.id)
    b = promo(stripe_client, other.id, code="BETA")
    c = promo(stripe_client, coupon.id, code="GAMMA", active=False)
    updated = stripe_client.v1.promotion_codes.update(
        a.id,
        params={
            "metadata": {"k": "v"},
            "restrictions": {"currency_options": {"gbp": {"minimum_amount": 700}}},
        },
    )
    assert updated.metadata.to_dict() == {"k": "v"}
    assert updated.restrictions.currency_options["gbp"].minimum_amount == 700

    def ids(**params):
        return [p.id for p in stripe_client.v1.promotion_codes.list(params=params).data]

    assert ids() == [c.id, b.id, a.id]
    assert ids(code="alpha") == [a.id]
    assert ids(coupon=coupon.id) == [c.id, a.id]
    assert ids(customer=customer.id) == [a.id]
    assert ids(active=False) == [c.id]
    assert ids(active=True) == [b.id, a.id]
    assert moment(stripe_emulator, receiver) >= {
        "promotion_code.created",
        "promotion_code.updated",
    }


# https://docs.stripe.com/api/promotion_codes/object (active: "A promotion code is only
# active if the coupon is also valid.")
def test_a_code_is_inactive_once_its_coupon_is_not_valid(stripe_client, stripe_emulator):
    redeem_by = stripe_emulator.clock() + DAY
    coupon = stripe_client.v1.coupons.create(params={"percent_off": 10, "redeem_by": redeem_by})
    code = promo(stripe_client, coupon.id, code="SOON")
    assert code.active is True
    stripe_emulator.advance(to=redeem_by + 60)
    assert stripe_client.v1.promotion_codes.retrieve(code.id).active is False
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.promotion_codes.update(code.id, params={"active": True})


# https://docs.stripe.com/api/promotion_codes/create#create_promotion_code-restrictions-minimum_amount_currency
def test_a_minimum_amount_currency_must_be_one_stripe_supports(stripe_client):
    coupon = stripe_client.v1.coupons.create(params={"percent_off": 10})
    with pytest.raises(stripe.InvalidRequestError, match="Invalid currency: xyz") as err:
        stripe_client.v1.promotion_codes.create(
            params={
                "promotion": {"type": "coupon", "coupon": coupon.id},
                "restrictions": {"minimum_amount": 100, "minimum_amount_currency": "xyz"},
            }
        )
    assert err.value.param == "restrictions[minimum_amount_currency]"
