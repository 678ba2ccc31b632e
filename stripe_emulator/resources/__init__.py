"""Stripe resources, one module per resource as Stripe names it. Importing this
package registers every route (base.ROUTES)."""

from __future__ import annotations

from stripe_emulator.store import State
from stripe_emulator.tax import included

from . import (  # noqa: F401 - imported for their routes
    charges,
    customers,
    events,
    invoice_items,
    invoices,
    payment_intents,
    payment_methods,
    prices,
    products,
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
    state.hooks["include"] = lambda node, key: included(state, node, key)


__all__ = ["ROUTES", "Context", "install_hooks", "match", "validate"]
