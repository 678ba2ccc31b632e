"""Charges: made by a payment intent's confirmation, one per attempt."""

from __future__ import annotations

from typing import Any

from stripe_emulator.errors import StripeError, card_error
from stripe_emulator.store import list_object, new_id, strip

from .base import Context, retrieve
from .cards import GENERIC, card_for
from .payment_methods import decline_error

CHARGE_PMD_KEYS = [
    "ach_credit_transfer",
    "ach_debit",
    "acss_debit",
    "affirm",
    "afterpay_clearpay",
    "alipay",
    "alma",
    "amazon_pay",
    "au_becs_debit",
    "bacs_debit",
    "bancontact",
    "billie",
    "bizum",
    "blik",
    "boleto",
    "card_present",
    "cashapp",
    "crypto",
    "customer_balance",
    "eps",
    "fpx",
    "giropay",
    "grabpay",
    "ideal",
    "interac_present",
    "kakao_pay",
    "klarna",
    "konbini",
    "kr_card",
    "link",
    "mb_way",
    "mobilepay",
    "multibanco",
    "naver_pay",
    "nz_bank_account",
    "oxxo",
    "p24",
    "pay_by_bank",
    "payco",
    "paynow",
    "paypal",
    "paypay",
    "payto",
    "pix",
    "promptpay",
    "revolut_pay",
    "samsung_pay",
    "satispay",
    "scalapay",
    "sepa_credit_transfer",
    "sepa_debit",
    "sequra",
    "sofort",
    "stripe_account",
    "sunbit",
    "swish",
    "twint",
    "upi",
    "us_bank_account",
    "wechat",
    "wechat_pay",
    "zip",
]


def charge_object(ctx: Context, pi: dict[str, Any], pm: dict[str, Any], ok: bool, err=None):
    card = card_for(pm)
    pm_card = pm["card"]
    details_card = {
        "amount_authorized": pi["amount"] if ok else None,
        "authorization_code": None,
        "brand": pm_card["brand"],
        "capture_before": None,
        "checks": dict(pm_card["checks"]),
        "country": pm_card["country"],
        "description": None,
        "electronic_commerce_indicator": None,
        "exp_month": pm_card["exp_month"],
        "exp_year": pm_card["exp_year"],
        "extended_authorization": None,
        "fingerprint": card.fingerprint,
        "funding": pm_card["funding"],
        "iin": None,
        "incremental_authorization": None,
        "installments": None,
        "issuer": None,
        "last4": pm_card["last4"],
        "mandate": None,
        "moto": None,
        "multicapture": None,
        "network": pm_card["brand"],
        "network_token": None,
        "network_transaction_id": None,
        "overcapture": None,
        "regulated_status": "unregulated",
        "setup_credential_usage": None,
        "stored_credential_usage": None,
        "three_d_secure": None,
        "transaction_link_id": None,
        "wallet": None,
    }
    details: dict[str, Any] = dict.fromkeys(CHARGE_PMD_KEYS)
    details.update({"card": details_card, "type": "card"})
    charge_id = new_id("ch")
    return {
        "id": charge_id,
        "object": "charge",
        "amount": pi["amount"],
        "amount_captured": pi["amount"] if ok else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "authorization_code": None,
        "balance_transaction": new_id("txn") if ok else None,
        "billing_details": strip(pm["billing_details"]),
        "calculated_statement_descriptor": "EMULATOR",
        "captured": ok,
        "created": ctx.now(pi["customer"]),
        "currency": pi["currency"],
        "customer": pi["customer"],
        "description": pi["description"],
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None if ok else err.code,
        "failure_message": None if ok else err.message,
        "fraud_details": {"stripe_report": None, "user_report": None},
        "level3": None,
        "livemode": False,
        "metadata": {},
        "on_behalf_of": None,
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
        "presentment_details": None,
        "radar_options": None,
        "receipt_email": None,
        "receipt_number": None,
        "receipt_url": f"https://pay.stripe.com/receipts/payment/{charge_id}",
        "refunded": False,
        "refunds": list_object([], f"/v1/charges/{charge_id}/refunds"),
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "succeeded" if ok else "failed",
        "transfer": None,
        "transfer_data": None,
        "transfer_group": None,
    }


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
