"""Charges: made by a payment intent's confirmation, one per attempt."""

from __future__ import annotations

from typing import Any

from stripe_emulator.errors import StripeError, card_error
from stripe_emulator.store import list_object, new_id, strip

from .base import Context, retrieve
from .cards import GENERIC, card_for
from .payment_methods import decline_error
from .skeletons import fill


def charge_object(ctx: Context, pi: dict[str, Any], pm: dict[str, Any], ok: bool, err=None):
    card = card_for(pm)
    pm_card = pm["card"]
    details_card = fill(
        "charge_card_details",
        {
            "amount_authorized": pi["amount"] if ok else None,
            "brand": pm_card["brand"],
            "checks": dict(pm_card["checks"]),
            "country": pm_card["country"],
            "exp_month": pm_card["exp_month"],
            "exp_year": pm_card["exp_year"],
            "fingerprint": card.fingerprint,
            "funding": pm_card["funding"],
            "last4": pm_card["last4"],
            "network": pm_card["brand"],
        },
    )
    details = fill("charge_payment_method_details", {"card": details_card})
    charge_id = new_id("ch")
    return fill(
        "charge",
        {
            "id": charge_id,
            "amount": pi["amount"],
            "amount_captured": pi["amount"] if ok else 0,
            "balance_transaction": new_id("txn") if ok else None,
            "billing_details": strip(pm["billing_details"]),
            "captured": ok,
            "created": ctx.now(pi["customer"]),
            "currency": pi["currency"],
            "customer": pi["customer"],
            "description": pi["description"],
            "failure_code": None if ok else err.code,
            "failure_message": None if ok else err.message,
            "outcome": {
                "advice_code": None,
                "network_advice_code": None,
                "network_decline_code": None,
                "network_status": "approved_by_network" if ok else "declined_by_network",
                "reason": None if ok else err.decline_code,
                "risk_level": "normal",
                "risk_score": 20,
                "rule": None,
                "seller_message": "Payment complete."
                if ok
                else "The bank did not return any further details with this decline.",
                "type": "authorized" if ok else "issuer_declined",
            },
            "paid": ok,
            "payment_intent": pi["id"],
            "payment_method": pm["id"],
            "payment_method_details": details,
            "receipt_url": f"https://pay.stripe.com/receipts/payment/{charge_id}",
            "refunds": list_object([], f"/v1/charges/{charge_id}/refunds"),
            "status": "succeeded" if ok else "failed",
        },
    )


def charge_outcome(pm: dict[str, Any]) -> tuple[str, StripeError | None]:
    """What charging this payment method does: succeeded, declined or requires_action."""
    card = card_for(pm)
    behaviour = card.behaviour
    if behaviour == "ok" or (behaviour == "auth_on_setup" and pm.get("_setup_done")):
        return "succeeded", None
    if behaviour in ("auth_always", "auth_on_setup"):
        return "requires_action", None
    if behaviour == "charge_fail":
        code, decline_code, message, param = GENERIC
        return "declined", card_error(message, code=code, decline_code=decline_code, param=param)
    return "declined", decline_error(card)


retrieve("charge", "/v1/charges/{id}")
