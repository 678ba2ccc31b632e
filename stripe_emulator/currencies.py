"""The currencies Stripe accepts, as ISO 4217 codes in lowercase.

Source: https://docs.stripe.com/currencies ("Supported presentment currencies";
zero-decimal currencies in #zero-decimal, three-decimal in #three-decimal). Which
of these an account may charge depends on its country; the emulator plays an
account that can present every one of them (a US account).
"""

from __future__ import annotations


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Zero-decimal currencies: amounts are whole units (100 JPY is `100`).
ZERO_DECIMAL = _codes(
    """
    bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf
    """
)

# Three-decimal currencies: amounts are in thousandths (and Stripe asks the last
# digit to be 0).
THREE_DECIMAL = _codes(
    """
    bhd jod kwd omr tnd
    """
)

# Every other one has two decimals (cents, or the local equivalent).
TWO_DECIMAL = _codes(
    """
    usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bmd bnd bob brl bsd
    bwp byn bzd cad cdf chf cny cop crc cve czk dkk dop dzd egp etb eur fjd fkp gbp
    gel gip gmd gtq gyd hkd hnl htg huf idr ils inr isk jmd kes kgs khr kyd kzt lak
    lbp lkr lrd lsl mad mdl mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok
    npr nzd pab pen pgk php pkr pln qar ron rsd rub sar sbd scr sek sgd shp sle sos
    srd std szl thb tjs top try ttd twd tzs uah uyu uzs wst xcd yer zar zmw
    """
)

SUPPORTED = ZERO_DECIMAL | THREE_DECIMAL | TWO_DECIMAL

# The order Stripe lists them in its error message: usd first, then alphabetical.
LISTED = ("usd", *sorted(SUPPORTED - {"usd"}))


def is_supported(code: str) -> bool:
    return code in SUPPORTED


def decimals(code: str) -> int:
    """Digits after the decimal point in the currency's minor unit."""
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def unsupported_message(code: str) -> str:
    """Stripe's message for a currency it does not support (param `currency`)."""
    return f"Invalid currency: {code}. Stripe currently supports these currencies: " + ", ".join(
        LISTED
    )
