"""The one package that talks to Stripe (docs/architecture.md, "House style").

Results come back as plain dicts (the objects' JSON), never SDK types. Callers
use this package's names (`from billing import gateway; gateway.x(...)`); its
modules are one per Stripe resource, and `client` holds what they share: the
SDK client, the time budget of a web request, and the errors services see.
"""

from billing.gateway.client import (
    API_VERSION,
    MIN_SECONDS_FOR_A_RETRY,
    CardDeclined,
    EmailRefused,
    GatewayError,
    StripeBusy,
    StripeInvalidRequest,
    StripeKeyInUse,
    StripeNotFound,
    StripeUnavailable,
    budget_remaining,
    from_unix,
    stripe_budget,
    stripe_paced,
)
from billing.gateway.coupons import coupon_create, coupon_retrieve, coupon_update
from billing.gateway.customers import (
    customer_create,
    customer_delete,
    customer_set_default_payment_method,
    payment_method_attach,
    payment_method_detach,
    setup_intent_create,
)
from billing.gateway.invoices import (
    invoice_list,
    invoice_list_paid,
    invoice_list_paid_for_subscription,
    invoice_list_paid_since,
    invoice_retrieve,
    refund_create,
)
from billing.gateway.products import (
    price_create,
    price_set_active,
    product_create,
    product_update,
)
from billing.gateway.promotion_codes import (
    promotion_code_create,
    promotion_code_retrieve,
    promotion_code_update,
)
from billing.gateway.subscriptions import (
    SUBSCRIPTION_EXPAND,
    subscription_cancel,
    subscription_create,
    subscription_list_for_customer,
    subscription_resume,
    subscription_retrieve,
    subscription_update,
)
from billing.gateway.tax import (
    TaxIdInvalid,
    TaxLocationInvalid,
    customer_retrieve,
    customer_set_address,
    customer_tax_id_create,
    customer_tax_id_list,
)
from billing.gateway.webhooks import (
    WEBHOOK_TOLERANCE_SECONDS,
    WebhookRejected,
    webhook_event_verified,
)

__all__ = [
    "API_VERSION",
    "MIN_SECONDS_FOR_A_RETRY",
    "SUBSCRIPTION_EXPAND",
    "WEBHOOK_TOLERANCE_SECONDS",
    "CardDeclined",
    "EmailRefused",
    "GatewayError",
    "StripeBusy",
    "StripeInvalidRequest",
    "StripeKeyInUse",
    "StripeNotFound",
    "StripeUnavailable",
    "TaxIdInvalid",
    "TaxLocationInvalid",
    "WebhookRejected",
    "budget_remaining",
    "coupon_create",
    "coupon_retrieve",
    "coupon_update",
    "customer_create",
    "customer_delete",
    "customer_retrieve",
    "customer_set_address",
    "customer_set_default_payment_method",
    "customer_tax_id_create",
    "customer_tax_id_list",
    "from_unix",
    "invoice_list",
    "invoice_list_paid",
    "invoice_list_paid_for_subscription",
    "invoice_list_paid_since",
    "invoice_retrieve",
    "payment_method_attach",
    "payment_method_detach",
    "price_create",
    "price_set_active",
    "product_create",
    "product_update",
    "promotion_code_create",
    "promotion_code_retrieve",
    "promotion_code_update",
    "refund_create",
    "setup_intent_create",
    "stripe_budget",
    "stripe_paced",
    "subscription_cancel",
    "subscription_create",
    "subscription_list_for_customer",
    "subscription_resume",
    "subscription_retrieve",
    "subscription_update",
    "webhook_event_verified",
]
