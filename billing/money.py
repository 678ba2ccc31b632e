"""Countries, currencies and how an amount reads to a reader.

Which currency a country pays in, and which language it reads, come from
babel's copy of the Unicode CLDR (a well-kept table, never typed by hand);
which currencies we sell in and which countries see tax-inclusive prices are
settings (CURRENCIES, DEFAULT_CURRENCY, TAX_INCLUSIVE_COUNTRIES). Amounts are
integers in the currency's minor unit as Stripe counts it (999 = 9.99).
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.languages import get_official_languages
from babel.numbers import format_currency, get_territory_currencies
from django.conf import settings

from config.errors import ApplicationError

# Stripe's own minor units, which are not always ISO 4217's (ISK, for one, is
# two-decimal at Stripe): stripe.com/docs/currencies#zero-decimal, #three-decimal.
ZERO_DECIMAL = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()  # noqa: SIM905
)
THREE_DECIMAL = frozenset("bhd jod kwd omr tnd".split())  # noqa: SIM905

_COUNTRY = re.compile(r"^[A-Za-z]{2}$")


def country_parse(value: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 code from a reader or a header, upper-cased; None when absent.

    A malformed value is a 400 `invalid_country`. A well-formed code that names no
    country we know (XX, or a CDN's "T1" for Tor is malformed anyway) is kept: it
    simply maps to the default currency.
    """
    if value is None or value.strip() == "":
        return None
    value = value.strip()
    if not _COUNTRY.match(value):
        message = f"{value[:20]!r} is not a country code (ISO 3166-1 alpha-2, such as DE)."
        raise ApplicationError(message, code="invalid_country", fields={"country": [message]})
    return value.upper()


def country_is_known(country: str) -> bool:
    return country.upper() in _territories()


@lru_cache(maxsize=1)
def _territories() -> frozenset[str]:
    return frozenset(str(code) for code in Locale("en").territories if len(str(code)) == 2)


def currency_for_country(country: str | None) -> str:
    """The currency a reader in `country` pays in: the country's legal tender when we
    sell in it (CURRENCIES), else DEFAULT_CURRENCY. Lower case, Stripe's form."""
    if country:
        for code in _tender(country.upper()):
            if code.lower() in settings.CURRENCIES:
                return code.lower()
    return str(settings.DEFAULT_CURRENCY)


@lru_cache(maxsize=512)
def _tender(country: str) -> tuple[str, ...]:
    return tuple(get_territory_currencies(country, tender=True))


@lru_cache(maxsize=512)
def locale_for_country(country: str | None) -> str:
    """The locale an amount is written in for a reader in `country` (de_DE for DE):
    its first official language there, else English with the country, else the
    site's language."""
    default = str(Locale.parse(settings.LANGUAGE_CODE, sep="-"))
    if not country or not country_is_known(country):
        return default
    country = country.upper()
    for language in (*get_official_languages(country, de_facto=True), "en"):
        try:
            return str(Locale.parse(f"{language}_{country}"))
        except (UnknownLocaleError, ValueError):
            continue
    return default


def minor_unit_digits(currency: str) -> int:
    currency = currency.lower()
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 2


def money_display(amount: int, currency: str, *, country: str | None = None) -> str:
    """An amount as a reader in `country` reads it: 999 EUR in DE is "9,99 €",
    899 GBP in GB "£8.99", 999 USD in the US "$9.99"."""
    major = Decimal(amount).scaleb(-minor_unit_digits(currency))
    return format_currency(major, currency.upper(), locale=locale_for_country(country))


def country_prices_include_tax(country: str | None) -> bool:
    """Whether the publisher shows prices to readers in `country` with tax included."""
    return bool(country) and str(country).upper() in settings.TAX_INCLUSIVE_COUNTRIES


def currency_tax_behavior(currency: str) -> str:
    """Stripe's `tax_behavior` for prices in `currency`: Stripe sets it per price and
    currency, not per country, so a currency is "inclusive" when a country whose
    tender it is shows prices with tax included (EUR and GBP by default), and
    "exclusive" otherwise (USD)."""
    currency = currency.upper()
    for country in settings.TAX_INCLUSIVE_COUNTRIES:
        if currency in _tender(country):
            return "inclusive"
    return "exclusive"
