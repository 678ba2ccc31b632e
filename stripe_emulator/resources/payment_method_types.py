"""The payment method types of a SetupIntent (the pinned version's parameters).

Since 2026-09-30.endive, `payment_method_types` is no longer a writable parameter of
SetupIntent create (Stripe answers 400 `payment_method_types_no_longer_supported`);
`allowed_payment_method_types` and `excluded_payment_method_types` take its place and the
object shows the result in `payment_method_types` [SETI-PMT]. The emulator serves cards
only: a type Stripe knows but the emulator does not serve is refused with a message that
names what is served (a known difference), an unknown type gets Stripe's enum error.
"""

from __future__ import annotations

from typing import Any

from stripe_emulator.errors import invalid

SERVED = ("card",)

# Stripe's payment method types, as the pinned SDK declares them for
# SetupIntentCreateParams.allowed_payment_method_types.
KNOWN = (
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
    "boku_promptpay",
    "boleto",
    "capchase_pay",
    "card",
    "card_present",
    "cashapp",
    "check_scan",
    "click_to_pay",
    "crypto",
    "customer_balance",
    "demo_pay",
    "duitnow",
    "dummy_auth_push",
    "dummy_passthrough_card",
    "edenred",
    "eps",
    "fpx",
    "gcash",
    "getbalance",
    "gift_card",
    "giropay",
    "gopay",
    "grabpay",
    "id_bank_transfer",
    "ideal",
    "interac_present",
    "kakao_pay",
    "klarna",
    "knet",
    "konbini",
    "kr_card",
    "kr_market",
    "kriya",
    "link",
    "mb_way",
    "mobilepay",
    "momo",
    "mondu",
    "multibanco",
    "naver_pay",
    "netbanking",
    "ng_bank",
    "ng_bank_transfer",
    "ng_card",
    "ng_market",
    "ng_ussd",
    "ng_wallet",
    "nz_bank_account",
    "octopus",
    "oxxo",
    "p24",
    "paper_check",
    "pay_by_bank",
    "payco",
    "paynow",
    "paypal",
    "paypay",
    "payto",
    "pix",
    "promptpay",
    "qris",
    "rechnung",
    "revolut_pay",
    "samsung_pay",
    "satispay",
    "scalapay",
    "sepa_debit",
    "sequra",
    "shop_pay",
    "shopeepay",
    "sofort",
    "south_korea_market",
    "stripe_balance",
    "sunbit",
    "swish",
    "tamara",
    "test_pay",
    "touch_n_go",
    "truemoney",
    "twint",
    "upi",
    "us_bank_account",
    "us_cash_voucher",
    "vipps",
    "wechat_pay",
    "wero",
    "zip",
)

NO_LONGER_SUPPORTED = (
    "The `payment_method_types` parameter is no longer supported on this API version "
    "(since 2026-09-30.endive). Use `allowed_payment_method_types` or "
    "`excluded_payment_method_types` instead, or dynamic payment methods."
)


def _types(params: dict[str, Any], key: str) -> list[str] | None:
    value = params.get(key)
    if value is None:
        return None
    if value == "" or not isinstance(value, list):
        raise invalid(f"Invalid array: {key} must be an array", param=key)
    for i, name in enumerate(value):
        param = f"{key}[{i}]"
        if name not in KNOWN:
            raise invalid(f"Invalid {param}: must be one of {', '.join(KNOWN)}", param=param)
        if name not in SERVED:
            raise invalid(
                f"The payment method type {name!r} is not served by the Stripe emulator, which "
                f"serves {', '.join(SERVED)} only (a known difference from Stripe).",
                param=param,
            )
    return list(value)


def payment_method_types(params: dict[str, Any]) -> dict[str, Any]:
    """The SetupIntent fields that follow from a create's payment method type parameters."""
    if "payment_method_types" in params:
        raise invalid(
            NO_LONGER_SUPPORTED,
            param="payment_method_types",
            code="payment_method_types_no_longer_supported",
        )
    allowed = _types(params, "allowed_payment_method_types")
    excluded = _types(params, "excluded_payment_method_types")
    if allowed is not None and excluded is not None:
        raise invalid(
            "You may only specify one of these parameters: allowed_payment_method_types, "
            "excluded_payment_method_types.",
            param="excluded_payment_method_types",
            code="parameters_exclusive",
        )
    types = [t for t in (allowed or SERVED) if t not in (excluded or [])]
    if not types:
        raise invalid(
            "No payment method types are left after excluded_payment_method_types: the Stripe "
            f"emulator serves {', '.join(SERVED)} only.",
            param="excluded_payment_method_types",
        )
    return {
        "allowed_payment_method_types": allowed,
        "excluded_payment_method_types": excluded,
        "payment_method_types": types,
    }
