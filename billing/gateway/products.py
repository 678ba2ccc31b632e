"""Products and prices: the plans as Stripe sells them."""

from __future__ import annotations

from typing import Any, cast

from stripe.params import PriceCreateParams

from billing.gateway.client import call, stripe_client, write_options


def product_create(*, name: str, metadata: dict[str, str], idempotency_key: str) -> Any:
    return call(
        "product.create",
        lambda: stripe_client().v1.products.create(
            params={"name": name, "metadata": metadata},
            options=write_options(idempotency_key),
        ),
    )


def product_update(*, product_id: str, name: str, active: bool, idempotency_key: str) -> Any:
    return call(
        "product.update",
        lambda: stripe_client().v1.products.update(
            product_id,
            params={"name": name, "active": active},
            options=write_options(idempotency_key),
        ),
    )


def price_create(
    *,
    product_id: str,
    amount: int,
    currency: str,
    interval: str,
    lookup_key: str,
    idempotency_key: str,
    tax_behavior: str = "",
    currency_options: dict[str, dict[str, Any]] | None = None,
) -> Any:
    """A recurring price; `currency_options` ({"eur": {"unit_amount": 999,
    "tax_behavior": "inclusive"}}) are its amounts in other currencies, the
    subscription's `currency` choosing one. The lookup key moves to it."""
    params: dict[str, Any] = {
        "product": product_id,
        "unit_amount": amount,
        "currency": currency,
        "recurring": {"interval": interval},
        "lookup_key": lookup_key,
        "transfer_lookup_key": True,
    }
    if tax_behavior:
        params["tax_behavior"] = tax_behavior
    if currency_options:
        params["currency_options"] = currency_options
    return call(
        "price.create",
        lambda: stripe_client().v1.prices.create(
            params=cast(PriceCreateParams, params), options=write_options(idempotency_key)
        ),
    )


def price_set_active(*, price_id: str, active: bool, idempotency_key: str) -> Any:
    return call(
        "price.update",
        lambda: stripe_client().v1.prices.update(
            price_id, params={"active": active}, options=write_options(idempotency_key)
        ),
    )
