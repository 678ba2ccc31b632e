"""Stripe's documented test payment methods (docs/emulator-lifecycle.md, "Test cards"; [TESTING]).

behaviour:
  ok               attaches, charges succeed
  charge_fail      attaches, every charge is declined (pm_card_chargeCustomerFail)
  declined         refused at attach and at charge with `decline`
  auth_always      attaches; every charge needs 3DS (requires_action)
  auth_on_setup    attaches; charges need 3DS unless set up (a succeeded SetupIntent)
  auth_declined    attaches; charges always fail with insufficient_funds
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field

GENERIC = ("card_declined", "generic_decline", "Your card was declined.", None)
INSUFFICIENT = ("card_declined", "insufficient_funds", "Your card has insufficient funds.", None)


@dataclass(frozen=True)
class TestCard:
    number: str
    brand: str
    funding: str = "credit"
    country: str = "US"
    behaviour: str = "ok"
    # (code, decline_code, message, param) for declines
    decline: tuple[str, str | None, str, str | None] = field(default=GENERIC)

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256(f"stripe-emulator:{self.number}".encode()).digest()
        return base64.b64encode(digest, altchars=b"Xy").decode()[:16]


def _declined(number: str, code: str, decline_code: str | None, message: str, param=None):
    return TestCard(
        number, "visa", behaviour="declined", decline=(code, decline_code, message, param)
    )


_LOST = _declined("4000000000009987", "card_declined", "lost_card", "Your card was declined.")
_STOLEN = _declined("4000000000009979", "card_declined", "stolen_card", "Your card was declined.")
_GENERIC = _declined("4000000000000002", *GENERIC[:3])
_INSUFFICIENT = _declined("4000000000009995", *INSUFFICIENT[:3])

TEST_CARDS: dict[str, TestCard] = {
    "pm_card_visa": TestCard("4242424242424242", "visa"),
    "pm_card_visa_debit": TestCard("4000056655665556", "visa", funding="debit"),
    "pm_card_mastercard": TestCard("5555555555554444", "mastercard"),
    "pm_card_amex": TestCard("378282246310005", "amex"),
    "pm_card_discover": TestCard("6011111111111117", "discover"),
    "pm_card_chargeCustomerFail": TestCard("4000000000000341", "visa", behaviour="charge_fail"),
    "pm_card_visa_chargeDeclined": _GENERIC,
    "pm_card_chargeDeclined": _GENERIC,
    "pm_card_visa_chargeDeclinedInsufficientFunds": _INSUFFICIENT,
    "pm_card_chargeDeclinedInsufficientFunds": _INSUFFICIENT,
    "pm_card_visa_chargeDeclinedLostCard": _LOST,
    "pm_card_chargeDeclinedLostCard": _LOST,
    "pm_card_visa_chargeDeclinedStolenCard": _STOLEN,
    "pm_card_chargeDeclinedStolenCard": _STOLEN,
    "pm_card_chargeDeclinedExpiredCard": _declined(
        "4000000000000069", "expired_card", None, "Your card has expired.", "exp_month"
    ),
    "pm_card_chargeDeclinedIncorrectCvc": _declined(
        "4000000000000127", "incorrect_cvc", None, "Your card's security code is incorrect.", "cvc"
    ),
    "pm_card_chargeDeclinedProcessingError": _declined(
        "4000000000000119",
        "processing_error",
        None,
        "An error occurred while processing your card. Try again in a little bit.",
    ),
    "pm_card_visa_chargeDeclinedVelocityLimitExceeded": _declined(
        "4000000000006975", "card_declined", "card_velocity_exceeded", "Your card was declined."
    ),
    "pm_card_authenticationRequired": TestCard("4000002760003184", "visa", behaviour="auth_always"),
    "pm_card_authenticationRequiredOnSetup": TestCard(
        "4000002500003155", "visa", behaviour="auth_on_setup"
    ),
    "pm_card_authenticationRequiredChargeDeclinedInsufficientFunds": TestCard(
        "4000008260003178", "visa", behaviour="auth_declined", decline=INSUFFICIENT
    ),
}


def card_for(pm: dict) -> TestCard:
    return TEST_CARDS[pm["_token"]]
