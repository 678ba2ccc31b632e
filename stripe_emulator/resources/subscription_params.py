"""The parameters the subscription endpoints accept (resources/subscriptions.py): their
schemas (anything else is Stripe's 400 parameter_unknown) and the enums their handlers
check. The lifecycle modules that own a parameter (billing_anchor, pause_collection)
bring their own schema parts."""

from __future__ import annotations

from stripe_emulator.lifecycle import billing_anchor, pause_collection
from stripe_emulator.params import BOOL, MAP, SCALAR, ListOf
from stripe_emulator.tax import TAX_PARAMS

from .base import PAGE
from .common import CANCELLATION_DETAILS_SCHEMA, PAYMENT_SETTINGS_SCHEMA, TIMESTAMP
from .discounts import DISCOUNTS

PAYMENT_BEHAVIORS = (
    "allow_incomplete",
    "default_incomplete",
    "error_if_incomplete",
    "pending_if_incomplete",
)
PRORATION = ("create_prorations", "none", "always_invoice")
LIVE = ("trialing", "active", "past_due", "unpaid", "incomplete", "paused")

TRIAL_SETTINGS_SCHEMA = {
    "end_behavior": {"missing_payment_method": SCALAR, "billing_cycle_anchor": SCALAR}
}
ITEM_SCHEMA = {"price": SCALAR, "quantity": SCALAR, "metadata": MAP}
CREATE_SCHEMA = (
    {
        "customer": SCALAR,
        "currency": SCALAR,
        "items": ListOf(ITEM_SCHEMA),
        "trial_period_days": SCALAR,
        "trial_end": SCALAR,
        "trial_settings": TRIAL_SETTINGS_SCHEMA,
        "default_payment_method": SCALAR,
        "payment_behavior": SCALAR,
        "metadata": MAP,
        "description": SCALAR,
        "off_session": BOOL,
        "collection_method": SCALAR,
        "proration_behavior": SCALAR,
        "cancel_at_period_end": BOOL,
        "payment_settings": PAYMENT_SETTINGS_SCHEMA,
        "discounts": DISCOUNTS,
    }
    | billing_anchor.SCHEMA
    | TAX_PARAMS
)
UPDATE_SCHEMA = (
    {
        "items": ListOf(ITEM_SCHEMA | {"id": SCALAR, "deleted": SCALAR, "clear_usage": SCALAR}),
        "trial_end": SCALAR,
        "trial_settings": TRIAL_SETTINGS_SCHEMA,
        "default_payment_method": SCALAR,
        "payment_behavior": SCALAR,
        "proration_behavior": SCALAR,
        "proration_date": TIMESTAMP,
        "metadata": MAP,
        "description": SCALAR,
        "off_session": BOOL,
        "cancel_at_period_end": BOOL,
        "cancellation_details": CANCELLATION_DETAILS_SCHEMA,
        "billing_cycle_anchor": {"type": SCALAR},
        "payment_settings": PAYMENT_SETTINGS_SCHEMA,
        "discounts": DISCOUNTS,
    }
    | pause_collection.SCHEMA
    | TAX_PARAMS
)
RESUME_BEHAVIORS = ("resume_on_payment_attempt", "resume_on_payment_success")
LIST_SCHEMA = PAGE | {
    "customer": SCALAR,
    "status": SCALAR,
    "price": SCALAR,
    "test_clock": SCALAR,
    "collection_method": SCALAR,
    "created": "any",
}
CANCEL_SCHEMA = {
    "invoice_now": SCALAR,
    "prorate": SCALAR,
    "cancellation_details": CANCELLATION_DETAILS_SCHEMA,
}
RESUME_SCHEMA = {
    "billing_cycle_anchor": {"type": SCALAR},
    "payment_behavior": SCALAR,
    "proration_behavior": SCALAR,
    "proration_date": TIMESTAMP,
}
