"""Stripe resources. Importing this package registers every route."""

from __future__ import annotations

from stripe_emulator.store import State

from . import (  # noqa: F401 - imported for their routes
    customers,
    misc,
    payment_methods,
    payments,
    products,
    setup_intents,
    subscriptions,
)
from .base import ROUTES, Context, match, validate


def install_hooks(state: State) -> None:
    state.hooks["customer"] = customers.render_customer
    state.hooks["subscription"] = subscriptions.render_subscription
    state.hooks["invoice"] = payments.render_invoice


__all__ = ["ROUTES", "Context", "install_hooks", "match", "validate"]
