"""Coupons, promotion codes and discounts (the pinned version's shapes: a discount names
its coupon in `source`, a promotion code in `promotion`)."""

from __future__ import annotations

from typing import Any

SKELETONS: dict[str, dict[str, Any]] = {
    "coupon": {
        "id": None,
        "object": "coupon",
        "amount_off": None,
        "applies_to": None,
        "created": None,
        "currency": None,
        "currency_options": None,
        "duration": "once",
        "duration_in_months": None,
        "livemode": False,
        "max_redemptions": None,
        "metadata": {},
        "name": None,
        "percent_off": None,
        "redeem_by": None,
        "times_redeemed": 0,
        "valid": True,
    },
    "promotion_code": {
        "id": None,
        "object": "promotion_code",
        "active": True,
        "code": None,
        "created": None,
        "customer": None,
        "customer_account": None,
        "expires_at": None,
        "livemode": False,
        "max_redemptions": None,
        "metadata": {},
        "promotion": {"coupon": None, "type": "coupon"},
        "restrictions": {
            "currency_options": {},
            "first_time_transaction": False,
            "minimum_amount": None,
            "minimum_amount_currency": None,
        },
        "times_redeemed": 0,
    },
    "discount": {
        "id": None,
        "object": "discount",
        "checkout_session": None,
        "customer": None,
        "customer_account": None,
        "end": None,
        "invoice": None,
        "invoice_item": None,
        "promotion_code": None,
        "source": {"coupon": None, "type": "coupon"},
        "start": None,
        "subscription": None,
        "subscription_item": None,
    },
}
