"""Every parameter the emulator accepts is one the installed SDK declares.

Each route's schema (what the emulator accepts; anything else is a 400) is
compared with the SDK's params TypedDict for that operation, nested hashes
included, so the emulator cannot invent parameters or shapes Stripe lacks.
"""

from __future__ import annotations

import re
import sys

import pytest
import stripe.params as sdk_params  # noqa: TID251 - the check reads the SDK's declarations
import stripe.params.test_helpers as sdk_test_helpers  # noqa: TID251

from stripe_emulator.params import SCALAR, ListOf
from stripe_emulator.resources import ROUTES

PARAMS = {
    ("POST", "/v1/customers"): "CustomerCreateParams",
    ("POST", "/v1/customers/{id}"): "CustomerUpdateParams",
    ("GET", "/v1/customers"): "CustomerListParams",
    ("POST", "/v1/customers/{id}/tax_ids"): "CustomerCreateTaxIdParams",
    ("GET", "/v1/customers/{id}/tax_ids"): "CustomerListTaxIdsParams",
    ("GET", "/v1/tax_rates"): "TaxRateListParams",
    ("POST", "/v1/products"): "ProductCreateParams",
    ("POST", "/v1/products/{id}"): "ProductUpdateParams",
    ("GET", "/v1/products"): "ProductListParams",
    ("POST", "/v1/prices"): "PriceCreateParams",
    ("POST", "/v1/prices/{id}"): "PriceUpdateParams",
    ("GET", "/v1/prices"): "PriceListParams",
    ("POST", "/v1/payment_methods"): "PaymentMethodCreateParams",
    ("POST", "/v1/payment_methods/{id}"): "PaymentMethodUpdateParams",
    ("POST", "/v1/payment_methods/{id}/attach"): "PaymentMethodAttachParams",
    ("GET", "/v1/payment_methods"): "PaymentMethodListParams",
    ("GET", "/v1/customers/{id}/payment_methods"): "CustomerListPaymentMethodsParams",
    ("POST", "/v1/setup_intents"): "SetupIntentCreateParams",
    ("POST", "/v1/setup_intents/{id}/confirm"): "SetupIntentConfirmParams",
    ("GET", "/v1/setup_intents"): "SetupIntentListParams",
    ("GET", "/v1/setup_intents/{id}"): "SetupIntentRetrieveParams",
    ("GET", "/v1/payment_intents/{id}"): "PaymentIntentRetrieveParams",
    ("GET", "/v1/payment_intents"): "PaymentIntentListParams",
    ("POST", "/v1/payment_intents/{id}/confirm"): "PaymentIntentConfirmParams",
    ("POST", "/v1/subscriptions"): "SubscriptionCreateParams",
    ("POST", "/v1/subscriptions/{id}"): "SubscriptionUpdateParams",
    ("GET", "/v1/subscriptions"): "SubscriptionListParams",
    ("DELETE", "/v1/subscriptions/{id}"): "SubscriptionCancelParams",
    ("POST", "/v1/subscriptions/{id}/resume"): "SubscriptionResumeParams",
    ("GET", "/v1/subscription_items"): "SubscriptionItemListParams",
    ("GET", "/v1/invoices"): "InvoiceListParams",
    ("POST", "/v1/invoiceitems"): "InvoiceItemCreateParams",
    ("POST", "/v1/invoiceitems/{id}"): "InvoiceItemUpdateParams",
    ("GET", "/v1/invoiceitems"): "InvoiceItemListParams",
    ("POST", "/v1/invoices/{id}/pay"): "InvoicePayParams",
    ("GET", "/v1/invoices/{id}/lines"): "InvoiceLineItemListParams",
    ("POST", "/v1/refunds"): "RefundCreateParams",
    ("GET", "/v1/refunds"): "RefundListParams",
    ("GET", "/v1/events"): "EventListParams",
    ("POST", "/v1/webhook_endpoints"): "WebhookEndpointCreateParams",
    ("POST", "/v1/webhook_endpoints/{id}"): "WebhookEndpointUpdateParams",
    ("GET", "/v1/webhook_endpoints"): "WebhookEndpointListParams",
    ("POST", "/v1/test_helpers/test_clocks"): "TestClockCreateParams",
    ("GET", "/v1/test_helpers/test_clocks"): "TestClockListParams",
    ("POST", "/v1/test_helpers/test_clocks/{id}/advance"): "TestClockAdvanceParams",
    ("POST", "/v1/coupons"): "CouponCreateParams",
    ("POST", "/v1/coupons/{id}"): "CouponUpdateParams",
    ("GET", "/v1/coupons"): "CouponListParams",
    ("POST", "/v1/promotion_codes"): "PromotionCodeCreateParams",
    ("POST", "/v1/promotion_codes/{id}"): "PromotionCodeUpdateParams",
    ("GET", "/v1/promotion_codes"): "PromotionCodeListParams",
}


# Parameters the pinned version no longer has, accepted by the emulator only to answer
# Stripe's own error for them (not a parameter of the SDK's params class):
# https://docs.stripe.com/changelog/endive/2026-09-30/removes-the-payment-method-types-parameter-from-payment-intents-and-setup-intents
REMOVED = {("POST", "/v1/setup_intents"): {"payment_method_types"}}
# Parameters only Stripe.js sends (with a publishable key), which the server SDK leaves
# out of its params class: the intent's client_secret (stripe_emulator/publishable.py).
STRIPE_JS_ONLY = {
    ("POST", "/v1/payment_intents/{id}/confirm"): {"client_secret"},
    ("POST", "/v1/setup_intents/{id}/confirm"): {"client_secret"},
}

# Error codes Stripe documents in its changelog that the SDK's list does not carry yet.
CHANGELOG_CODES = {"payment_method_types_no_longer_supported"}


def route_path(pattern: str) -> str:
    return re.sub(r"\(\?P<(\w+)>\[\^/\]\+\)", r"{\1}", pattern.strip("^$"))


def params_class(name: str) -> type:
    return getattr(sdk_params, name, None) or getattr(sdk_test_helpers, name)


def declared(td: type) -> dict[str, tuple[str, object]]:
    fields: dict[str, str] = {}
    for klass in reversed(td.__mro__):
        fields.update(getattr(klass, "__annotations__", {}))
    module = sys.modules[td.__module__]
    return {k: (str(v), module) for k, v in fields.items()}


def nested(annotation: str, module: object) -> type | None:
    for ident in re.findall(r"[A-Z][A-Za-z0-9_]+", annotation):
        obj = getattr(module, ident, None)
        if isinstance(obj, type) and hasattr(obj, "__total__"):
            return obj
    return None


def mismatches(schema: dict, td: type, prefix: str = "") -> list[str]:
    found = []
    fields = declared(td)
    for key, spec in schema.items():
        name = prefix + key
        if key not in fields:
            found.append(f"{name}: not a parameter of {td.__name__}")
            continue
        annotation, module = fields[key]
        sub = nested(annotation, module)
        if isinstance(spec, ListOf) and isinstance(spec.spec, dict) and sub:
            found += mismatches(spec.spec, sub, name + "[].")
        elif isinstance(spec, dict) and sub:
            found += mismatches(spec, sub, name + ".")
        elif spec is SCALAR and sub and not re.search(r"\b(str|int|bool|Literal)\b", annotation):
            found.append(f"{name}: the SDK sends a hash ({sub.__name__}), the emulator a scalar")
    return found


@pytest.mark.parametrize(
    "route", ROUTES, ids=lambda r: f"{r.method} {route_path(r.pattern.pattern)}"
)
def test_accepted_params_exist_in_the_sdk(route):
    key = (route.method, route_path(route.pattern.pattern))
    if not route.schema:
        return
    assert key in PARAMS, f"map {key} to its SDK params class"
    left_out = REMOVED.get(key, set()) | STRIPE_JS_ONLY.get(key, set())
    schema = {k: v for k, v in route.schema.items() if k not in left_out}
    assert mismatches(schema, params_class(PARAMS[key])) == []


def test_the_check_catches_an_invented_parameter():
    schema = {"items": ListOf({"price": SCALAR, "colour": SCALAR}), "billing_cycle_anchor": SCALAR}
    found = mismatches(schema, sdk_params.SubscriptionUpdateParams)
    assert "items[].colour: not a parameter of SubscriptionUpdateParamsItem" in found
    assert any(f.startswith("billing_cycle_anchor: the SDK sends a hash") for f in found)


def test_error_codes_are_codes_stripe_documents():
    """Every `code=` the emulator answers with is in the SDK's list of error codes."""
    import typing
    from pathlib import Path

    import stripe  # noqa: TID251

    annotation = stripe.PaymentIntent.LastPaymentError.__annotations__["code"]
    known = {
        arg
        for part in typing.get_args(annotation)
        for arg in typing.get_args(part)
        if isinstance(arg, str)
    }
    assert "card_declined" in known
    source = Path(__file__).resolve().parents[2] / "stripe_emulator"
    used = set()
    for path in source.rglob("*.py"):
        used |= set(re.findall(r'code="([a-z_]+)"', path.read_text()))
    assert used
    assert sorted(used - known - CHANGELOG_CODES) == []
