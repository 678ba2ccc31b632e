"""Stripe resources, one module per resource as Stripe names it. Importing this
package registers every route (base.ROUTES)."""

from __future__ import annotations

from typing import Any

from stripe_emulator.store import State
from stripe_emulator.tax import included as tax_included

from . import (  # noqa: F401 - imported for their routes
    charges,
    coupons,
    currencies,
    customers,
    discounts,
    events,
    invoice_items,
    invoiceitems,
    invoices,
    payment_intents,
    payment_methods,
    prices,
    products,
    promotion_codes,
    refunds,
    setup_intents,
    subscription_items,
    subscriptions,
    tax_ids,
    tax_rates,
    test_clocks,
    webhook_endpoints,
)
from .base import ROUTES, Context, match, validate


def install_hooks(state: State) -> None:
    state.hooks["customer"] = customers.render_customer
    state.hooks["subscription"] = subscriptions.render_subscription
    state.hooks["invoice"] = invoices.render_invoice
    state.hooks["include"] = _included
    state.hooks["coupon"] = coupons.render_coupon
    state.hooks["promotion_code"] = promotion_codes.render_promotion_code


def _included(state: State, obj: dict[str, Any], key: str) -> Any:
    """The store's `include` hook: a field Stripe serves only when expanded (a price's
    `currency_options`, a customer's `tax`), or None."""
    value = currencies.included(state, obj, key)
    return value if value is not None else tax_included(state, obj, key)


__all__ = ["ROUTES", "Context", "install_hooks", "match", "validate"]
