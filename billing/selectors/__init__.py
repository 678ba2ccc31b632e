"""Reads of billing state, shaped for their callers: one module per subject, every
name re-exported here (`from billing import selectors; selectors.x(...)`)."""

from billing.selectors.currencies import (
    reader_currency,
    reader_customer_currency,
    request_geo_country,
)
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
from billing.selectors.plans import (
    PricedPlan,
    plan_amount_in,
    plan_get_for_sale,
    plan_list_active,
    plan_list_priced,
    plan_priced,
    subscription_price,
)
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
    "PricedPlan",
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
    "plan_amount_in",
    "plan_get_for_sale",
    "plan_list_active",
    "plan_list_priced",
    "plan_priced",
    "reader_currency",
    "reader_customer_currency",
    "reader_timeline",
    "request_geo_country",
    "subscription_access_until",
    "subscription_client_secret",
    "subscription_ending",
    "subscription_get_current",
    "subscription_get_live",
    "subscription_has_unlimited_access",
    "subscription_price",
]
