"""Coupons: a discount's amount and duration, as Stripe applies it to invoices.

Stripe lets only `name`, `metadata` and `currency_options` change once a coupon
exists; its amount and duration never do (a new coupon is needed).
"""

from __future__ import annotations

from typing import Any, cast

from stripe.params import CouponCreateParams

from billing.gateway.client import call, stripe_client, write_options


def coupon_create(*, params: dict[str, Any], idempotency_key: str) -> Any:
    """Create a coupon from plain params (percent_off or amount_off and currency,
    currency_options, duration, duration_in_months, applies_to, name, metadata)."""
    return call(
        "coupon.create",
        lambda: stripe_client().v1.coupons.create(
            params=cast(CouponCreateParams, params),
            options=write_options(idempotency_key),
        ),
    )


def coupon_update(*, coupon_id: str, name: str, idempotency_key: str) -> Any:
    return call(
        "coupon.update",
        lambda: stripe_client().v1.coupons.update(
            coupon_id, params={"name": name}, options=write_options(idempotency_key)
        ),
    )


def coupon_retrieve(*, coupon_id: str) -> Any:
    return call("coupon.retrieve", lambda: stripe_client().v1.coupons.retrieve(coupon_id))
