"""Reads of billing state, shaped for their callers: one module per subject, every
name re-exported here (`from billing import selectors; selectors.x(...)`)."""

from billing.selectors.history import (
    END_REQUESTS,
    END_WITHDRAWN,
    EVENT_OUTCOMES,
    SubscriptionEnding,
    TimelineEntry,
    audit_changes,
    reader_timeline,
    subscription_ending,
)
from billing.selectors.invoices import (
    INVOICE_CURSOR,
    InvoicePage,
    amounts_display,
    invoice_amounts,
    invoice_list_for_user,
    invoice_payment_intent,
    payment_intent_client_secret,
    payment_intent_in,
    subscription_client_secret,
)
from billing.selectors.plans import plan_get_for_sale, plan_list_active
from billing.selectors.subscriptions import (
    pause_is_running,
    subscription_access_until,
    subscription_get_current,
    subscription_get_live,
    subscription_has_unlimited_access,
)

__all__ = [
    "END_REQUESTS",
    "END_WITHDRAWN",
    "EVENT_OUTCOMES",
    "INVOICE_CURSOR",
    "InvoicePage",
    "SubscriptionEnding",
    "TimelineEntry",
    "amounts_display",
    "audit_changes",
    "invoice_amounts",
    "invoice_list_for_user",
    "invoice_payment_intent",
    "pause_is_running",
    "payment_intent_client_secret",
    "payment_intent_in",
    "plan_get_for_sale",
    "plan_list_active",
    "reader_timeline",
    "subscription_access_until",
    "subscription_client_secret",
    "subscription_ending",
    "subscription_get_current",
    "subscription_get_live",
    "subscription_has_unlimited_access",
]
