"""Promotion codes: the customer-facing code of one coupon."""

from __future__ import annotations

from typing import Any, cast

from stripe.params import PromotionCodeCreateParams, PromotionCodeUpdateParams

from billing.gateway.client import call, stripe_client, write_options


def promotion_code_create(*, params: dict[str, Any], idempotency_key: str) -> Any:
    """Create a promotion code from plain params (code, promotion[coupon], active,
    expires_at, max_redemptions, restrictions, metadata)."""
    return call(
        "promotion_code.create",
        lambda: stripe_client().v1.promotion_codes.create(
            params=cast(PromotionCodeCreateParams, params),
            options=write_options(idempotency_key),
        ),
    )


def promotion_code_update(
    *, promotion_code_id: str, params: dict[str, Any], idempotency_key: str
) -> Any:
    """Only `active`, `metadata` and `restrictions.currency_options` can change."""
    return call(
        "promotion_code.update",
        lambda: stripe_client().v1.promotion_codes.update(
            promotion_code_id,
            params=cast(PromotionCodeUpdateParams, params),
            options=write_options(idempotency_key),
        ),
    )


def promotion_code_retrieve(*, promotion_code_id: str) -> Any:
    return call(
        "promotion_code.retrieve",
        lambda: stripe_client().v1.promotion_codes.retrieve(promotion_code_id),
    )
