"""Stripe resources, one module per resource as Stripe names it. Importing this
package registers every route (base.ROUTES)."""

from __future__ import annotations

from stripe_emulator.store import State

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
    test_clocks,
    webhook_endpoints,
)
from .base import ROUTES, Context, match, validate


def install_hooks(state: State) -> None:
    state.hooks["customer"] = customers.render_customer
    state.hooks["subscription"] = subscriptions.render_subscription
    state.hooks["invoice"] = invoices.render_invoice
    state.hooks["include"] = currencies.included
    state.hooks["coupon"] = coupons.render_coupon
    state.hooks["promotion_code"] = promotion_codes.render_promotion_code


__all__ = ["ROUTES", "Context", "install_hooks", "match", "validate"]
