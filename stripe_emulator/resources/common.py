"""Shapes shared by several resources."""

from __future__ import annotations

from typing import Any

from stripe_emulator.errors import StripeError
from stripe_emulator.params import SCALAR, Enum, Int
from stripe_emulator.store import State

from .skeletons import fill

ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")
ADDRESS_SCHEMA: dict[str, Any] = dict.fromkeys(ADDRESS_KEYS, "scalar")

# https://docs.stripe.com/api/subscriptions/update#update_subscription-cancellation_details
CANCELLATION_DETAILS_SCHEMA: dict[str, Any] = {
    "comment": SCALAR,
    "feedback": Enum(
        "customer_service",
        "low_quality",
        "missing_features",
        "other",
        "switched_service",
        "too_complex",
        "too_expensive",
        "unused",
    ),
}
# A unix timestamp (seconds): https://docs.stripe.com/api/subscriptions/update#update_subscription-proration_date
TIMESTAMP = Int(minimum=0)
# https://docs.stripe.com/api/subscriptions/create#create_subscription-payment_settings
PAYMENT_SETTINGS_SCHEMA: dict[str, Any] = {
    "save_default_payment_method": Enum("off", "on_subscription")
}


def address(value: Any = None) -> dict[str, Any]:
    value = value if isinstance(value, dict) else {}
    return {k: value.get(k) or None for k in ADDRESS_KEYS}


def money_str(amount: int, currency: str) -> str:
    symbol = {"usd": "$", "eur": "€", "gbp": "£"}.get(currency, "")
    text = f"{amount / 100:.2f}"
    return f"{symbol}{text}" if symbol else f"{text} {currency.upper()}"


def error_detail(err: StripeError, pm: dict[str, Any] | None, state: State) -> dict[str, Any]:
    """last_payment_error / last_setup_error: the error hash plus the payment method."""
    return fill(
        "payment_error",
        {
            "charge": err.extra.get("charge"),
            "code": err.code,
            "decline_code": err.decline_code,
            "doc_url": f"https://stripe.com/docs/error-codes/{(err.code or '').replace('_', '-')}",
            "message": err.message,
            "param": err.param,
            "payment_method": state.render(pm) if pm else None,
            "payment_method_type": "card" if pm else None,
            "type": err.type,
        },
    )
